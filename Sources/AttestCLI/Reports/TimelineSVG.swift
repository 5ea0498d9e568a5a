import Foundation
import AttestCore

/// The audit timeline as inline SVG: one lane per quarter, its window as a hatched band,
/// sign-offs and later changes as marks. Every mark has its own shape and a text label, so the
/// picture reads the same printed in greyscale.
enum TimelineSVG {
    static let width = 1100.0
    static let x0 = 110.0, x1 = 1080.0
    static let top = 46.0, laneHeight = 62.0

    enum Mark { case onTime, late, early, amended, deleted, duplicate }

    static func render(_ r: AuditReport) -> String {
        let lanes = r.quarters
        let day = 86400.0
        var times = [r.from, r.to.addingTimeInterval(day)]
        for q in lanes {
            times += [q.window.opens, q.window.closes]
            if let s = q.signoff { times.append(s.committer.time) }
            times += q.flags.compactMap { f in q.commits.first { $0.id == f.commit }?.committer.time }
        }
        let t0 = times.min()!.addingTimeInterval(-10 * day), t1 = times.max()!.addingTimeInterval(10 * day)
        func x(_ t: Date) -> Double { x0 + (t.timeIntervalSince(t0) / t1.timeIntervalSince(t0)) * (x1 - x0) }
        let lanesBottom = top + laneHeight * Double(lanes.count)
        let height = lanesBottom + 70

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"tl-title\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">\n"
        s += "<title id=\"tl-title\">Timeline: each quarter's attestation window and its sign-off</title>\n"
        s += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e8e8e8\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9a9a9a\" stroke-width=\"2\"/></pattern></defs>\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#ffffff\"/>\n"
        // The audit period.
        s += "<rect x=\(a(x(r.from))) y=\(a(top - 6)) width=\(a(max(1, x(r.to.addingTimeInterval(day)) - x(r.from)))) height=\(a(lanesBottom - top + 12)) fill=\"#f6f6f6\" stroke=\"#555\" stroke-dasharray=\"2 3\"/>\n"
        s += "<text x=\(a(x(r.from) + 4)) y=\(a(lanesBottom + 2)) font-size=\"11\" fill=\"#333\">audit period \(UTC.day(r.from)) to \(UTC.day(r.to))</text>\n"
        s += monthTicks(t0: t0, t1: t1, x: x, bottom: lanesBottom)

        for (i, q) in lanes.enumerated() {
            let yc = top + laneHeight * Double(i) + laneHeight / 2
            s += "<line x1=\(a(x0)) y1=\(a(yc)) x2=\(a(x1)) y2=\(a(yc)) stroke=\"#bbb\" stroke-width=\"1\"/>\n"
            s += "<text x=\"8\" y=\(a(yc - 3)) font-size=\"13\" font-weight=\"bold\" fill=\"#000\">\(esc(q.quarter.description))</text>\n"
            s += "<text x=\"8\" y=\(a(yc + 13)) font-size=\"11\" fill=\"#000\">\(esc(q.verdict.rawValue + (q.passes ? ", pass" : (q.flags.isEmpty ? ", FAIL" : ", flagged: FAIL"))))</text>\n"
            let wx = x(q.window.opens), ww = max(2, x(q.window.closes) - wx)
            let dashed = q.verdict == .missing ? " stroke-dasharray=\"4 3\"" : ""
            s += "<rect x=\(a(wx)) y=\(a(yc - 11)) width=\(a(ww)) height=\"22\" fill=\"url(#hatch)\" stroke=\"#222\" stroke-width=\"1.2\"\(dashed)><title>\(esc("\(q.quarter) window \(UTC.human(q.window.opens)) to \(UTC.human(q.window.closes))"))</title></rect>\n"
            // The quarter's marks, one group per lane (tests find a lane's marks by its id).
            s += "<g class=\"marks\" id=\"marks-\(q.quarter)\">\n"
            defer { s += "</g><!-- /marks -->\n" }
            if q.verdict == .missing {
                let fits = wx + ww + 6 + 20 * 7.2 <= width - 4
                s += "<text x=\(a(fits ? wx + ww + 6 : wx - 6)) y=\(a(yc + 4)) font-size=\"12\" font-weight=\"bold\" fill=\"#000\"\(fits ? "" : " text-anchor=\"end\"")>MISSING: no sign-off</text>\n"
                continue
            }
            var labelRow = 0
            if let so = q.signoff {
                let m: Mark = q.verdict == .late ? .late : (q.verdict == .early ? .early : .onTime)
                var label = "\(q.verdict == .onTime ? "signed" : "signed \(q.verdict.rawValue)") \(UTC.day(so.committer.time))"
                if q.flags.contains(where: { $0.flag == .dateAnomaly && $0.commit == so.id }) { label += " (date anomaly)" }
                s += mark(m, x: x(so.committer.time), y: yc, label: label, row: labelRow, tip: "\(so.shortID) \(so.subject)")
                labelRow += 1
            }
            for f in q.flags where [.amended, .deleted, .duplicateSignoff].contains(f.flag) {
                guard let c = q.commits.first(where: { $0.id == f.commit }) else { continue }
                let m: Mark = f.flag == .amended ? .amended : (f.flag == .deleted ? .deleted : .duplicate)
                let word = f.flag == .amended ? "amended" : (f.flag == .deleted ? "deleted" : "signed again")
                s += mark(m, x: x(c.committer.time), y: yc, label: "\(word) \(UTC.day(c.committer.time))", row: labelRow, tip: f.detail)
                labelRow += 1
            }
        }
        s += legend(y: lanesBottom + 30)
        s += "</svg>\n"
        return s
    }

    static func mark(_ m: Mark, x: Double, y: Double, label: String, row: Int, tip: String) -> String {
        var s = "<g><title>\(esc(tip))</title>"
        s += shape(m, x: x, y: y)
        let ly = row % 2 == 0 ? y - 15 - Double(row / 2) * 11 : y + 24 + Double(row / 2) * 11
        // A label that would run off the right edge ends at the mark instead.
        let fits = x + 8 + Double(label.count) * 6.2 <= width - 4
        s += "<text x=\(a(fits ? x + 8 : x - 8)) y=\(a(ly)) font-size=\"11\" fill=\"#000\"\(fits ? "" : " text-anchor=\"end\"")>\(esc(label))</text></g>\n"
        return s
    }

    static func shape(_ m: Mark, x: Double, y: Double) -> String {
        switch m {
        case .onTime:
            return "<circle cx=\(a(x)) cy=\(a(y)) r=\"7\" fill=\"#1b5e20\" stroke=\"#000\" stroke-width=\"1.5\"/>"
        case .late:
            return "<polygon points=\"\(x - 8),\(y + 7) \(x + 8),\(y + 7) \(x),\(y - 8)\" fill=\"#b71c1c\" stroke=\"#000\" stroke-width=\"1.5\"/>"
        case .early:
            return "<polygon points=\"\(x - 8),\(y - 7) \(x + 8),\(y - 7) \(x),\(y + 8)\" fill=\"#4a148c\" stroke=\"#000\" stroke-width=\"1.5\"/>"
        case .amended:
            return "<path d=\"M\(x - 7) \(y - 7) L\(x + 7) \(y + 7) M\(x + 7) \(y - 7) L\(x - 7) \(y + 7)\" stroke=\"#000\" stroke-width=\"3.5\"/>"
        case .deleted:
            return "<rect x=\(a(x - 7)) y=\(a(y - 7)) width=\"14\" height=\"14\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"2.5\"/>"
        case .duplicate:
            return "<circle cx=\(a(x)) cy=\(a(y)) r=\"7\" fill=\"#fff\" stroke=\"#000\" stroke-width=\"2.5\"/>"
        }
    }

    static func legend(y: Double) -> String {
        let items: [(Mark, String)] = [(.onTime, "sign-off on time"), (.late, "sign-off late"), (.early, "sign-off early"),
                                       (.amended, "amended after sign-off"), (.deleted, "deleted"), (.duplicate, "second sign-off")]
        var s = "<rect x=\(a(x0)) y=\(a(y - 11)) width=\"40\" height=\"22\" fill=\"url(#hatch)\" stroke=\"#222\"/>"
        s += "<text x=\(a(x0 + 46)) y=\(a(y + 4)) font-size=\"11\">window</text>\n"
        var x = x0 + 110
        for (m, label) in items {
            s += shape(m, x: x, y: y) + "<text x=\(a(x + 12)) y=\(a(y + 4)) font-size=\"11\">\(esc(label))</text>\n"
            x += 28 + Double(label.count) * 6.2
        }
        return s
    }

    /// Month (or quarter, or year) ticks along the top, as the span allows.
    static func monthTicks(t0: Date, t1: Date, x: (Date) -> Double, bottom: Double) -> String {
        let months = t1.timeIntervalSince(t0) / (86400 * 30.4)
        let stepMonths = months <= 20 ? 1 : (months <= 60 ? 3 : 12)
        var p = UTC.components(t0)
        var month = p.month, year = p.year
        var s = ""
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        while true {
            month += 1
            if month > 12 { month = 1; year += 1 }
            if (month - 1) % stepMonths != 0 { continue }
            let d = UTC.date(year: year, month: month, day: 1)
            if d > t1 { break }
            let tx = x(d)
            s += "<line x1=\(a(tx)) y1=\(a(top - 14)) x2=\(a(tx)) y2=\(a(bottom)) stroke=\"#ddd\" stroke-width=\"1\"/>"
            let label = stepMonths == 12 ? "\(year)" : (month == 1 || stepMonths == 3 ? "\(names[month - 1]) \(year)" : names[month - 1])
            if tx + Double(label.count) * 6 < width { s += "<text x=\(a(tx + 2)) y=\(a(top - 18)) font-size=\"10\" fill=\"#333\">\(label)</text>" }
            s += "\n"
        }
        p = UTC.components(t1)
        return s
    }

    static func a(_ v: Double) -> String { "\"\(String(format: "%.1f", v))\"" }

    static func esc(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if ch.value < 0x20 && ch != "\n" && ch != "\t" { out += " " } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
