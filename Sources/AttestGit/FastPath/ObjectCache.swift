import Foundation

/// Recently read objects by (pack, offset), direct-mapped: a new object replaces the one in its
/// slot. Read newest first, an object's delta base is usually one read shortly before, so a
/// few MiB serve however deep the chains are; the budget bounds the bytes held (a clock hand
/// empties slots once it is exceeded), as git's `core.deltaBaseCacheLimit` does.
struct ObjectCache<Value> {
    private var keys: [Int]
    private var values: [Value?]
    private let size: (Value) -> Int
    private let budget: Int
    private var held = 0
    private var hand = 0

    init(slots: Int, budget: Int, size: @escaping (Value) -> Int) {
        keys = [Int](repeating: -1, count: slots); values = [Value?](repeating: nil, count: slots)
        self.budget = budget; self.size = size
    }

    private func slot(_ k: Int, _ offset: Int) -> Int { (offset ^ (offset >> 13) ^ k) & (keys.count - 1) }

    subscript(k: Int, offset: Int) -> Value? {
        get { let s = slot(k, offset); return keys[s] == k << 48 | offset ? values[s] : nil }
        set {
            guard let v = newValue, size(v) <= budget / 64 else { return }
            let s = slot(k, offset)
            if let old = values[s] { held -= size(old) }
            keys[s] = k << 48 | offset; values[s] = v
            held += size(v)
            while held > budget {
                hand = (hand + 1) & (keys.count - 1)
                guard hand != s, let old = values[hand] else { continue }
                held -= size(old)
                keys[hand] = -1; values[hand] = nil
            }
        }
    }
}
