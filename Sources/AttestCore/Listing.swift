/// Error output stays readable on hostile input: a list of problems (findings, broken rules,
/// bad rows) is shown up to `shown` items and then counted, never printed without end
/// (120,000 bad rows give 21 lines, not 120,000). The full list stays in `--json` output and in
/// the evidence files. docs/limits.md.
public enum Listing {
    /// How many items a text listing shows before it counts the rest.
    public static let shown = 20

    /// The first `shown` items, then one line "… and N more <noun>" when there are more.
    public static func bounded(_ items: [String], shown: Int = Listing.shown, noun: String = "problems", more: String = "") -> [String] {
        guard items.count > shown else { return items }
        let rest = items.count - shown
        return Array(items.prefix(shown)) + ["… and \(rest) more \(noun) (the first \(shown) of \(items.count) are listed\(more))"]
    }
}
