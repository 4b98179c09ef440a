// ReportsTests: fixture access shared by the tests.
import Foundation

enum Fixtures {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func data(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }
}
