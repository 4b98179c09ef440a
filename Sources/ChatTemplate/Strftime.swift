// `strftime_now(format)`: the current date formatted like Python's `datetime.now().strftime`
// (local time, C locale names), for templates such as Llama 3.2's "Today Date".
import Foundation

func strftime(_ format: String, _ date: Date) -> String {
    let calendar = Calendar(identifier: .gregorian)
    let c = calendar.dateComponents(in: TimeZone.current, from: date)
    let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"]
    let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    func pad(_ v: Int?, _ width: Int = 2) -> String {
        let s = String(v ?? 0)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    var out = ""
    var iterator = format.makeIterator()
    while let ch = iterator.next() {
        guard ch == "%", let code = iterator.next() else { out.append(ch); continue }
        let month = (c.month ?? 1) - 1
        let weekday = (c.weekday ?? 1) - 1
        switch code {
        case "d": out += pad(c.day)
        case "m": out += pad(c.month)
        case "Y": out += String(c.year ?? 0)
        case "y": out += pad((c.year ?? 0) % 100)
        case "b": out += String(months[month].prefix(3))
        case "B": out += months[month]
        case "a": out += String(days[weekday].prefix(3))
        case "A": out += days[weekday]
        case "H": out += pad(c.hour)
        case "I": out += pad(((c.hour ?? 0) + 11) % 12 + 1)
        case "p": out += (c.hour ?? 0) < 12 ? "AM" : "PM"
        case "M": out += pad(c.minute)
        case "S": out += pad(c.second)
        case "j": out += pad(calendar.ordinality(of: .day, in: .year, for: date) ?? 0, 3)
        case "%": out += "%"
        default: out += "%" + String(code)
        }
    }
    return out
}
