// The template source as Jinja sees it — newlines normalized to "\n" and one trailing newline
// dropped (keep_trailing_newline=False) — plus the map from scalar offsets to line:col.
import Basics

struct SourceText {
    let name: String
    /// Unicode scalars after normalization; offsets everywhere in the module index this array.
    let scalars: [Unicode.Scalar]
    private let lineStarts: [Int]

    init(_ source: String, name: String) {
        self.name = name
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(source.unicodeScalars.count)
        var previousWasCR = false
        for scalar in source.unicodeScalars {
            if scalar == "\r" {
                out.append("\n")
                previousWasCR = true
                continue
            }
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = false
            out.append(scalar)
        }
        if out.last == "\n" { out.removeLast() }
        scalars = out
        var starts = [0]
        for (index, scalar) in out.enumerated() where scalar == "\n" { starts.append(index + 1) }
        lineStarts = starts
    }

    /// 1-based line and column of a scalar offset.
    func location(_ offset: Int) -> SourceLocation {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return SourceLocation(file: name, line: low + 1, column: offset - lineStarts[low] + 1)
    }
}

/// Python's `str.isspace()` set, which Jinja's `\s` and `rstrip()` use.
func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
        return true
    default:
        return false
    }
}

func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= 48 && scalar.value <= 57 }
