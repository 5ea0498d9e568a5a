import Foundation

/// Recently read objects by (pack, offset), direct-mapped: a new object replaces the one in its
/// slot. Read newest first, an object's delta base is usually one read shortly before, so a
/// few MiB serve however deep the chains are; the budget bounds the bytes held (a clock hand
/// empties slots once it is exceeded), as git's `core.deltaBaseCacheLimit` does.
///
/// The slots are made on the first store: a reader that never uses one of its caches (the
/// push's commit reader asks for no prefix and no tree answer) does not pay for clearing it,
/// which on a small push was a good part of the hook's start.
struct ObjectCache<Value> {
    private var keys: [Int] = []
    private var values: [Value?] = []
    private let slots: Int
    private let size: (Value) -> Int
    private let budget: Int
    private var held = 0
    private var hand = 0

    init(slots: Int, budget: Int, size: @escaping (Value) -> Int) {
        self.slots = slots; self.budget = budget; self.size = size
    }

    private func slot(_ k: Int, _ offset: Int) -> Int { (offset ^ (offset >> 13) ^ k) & (slots - 1) }

    subscript(k: Int, offset: Int) -> Value? {
        get {
            guard !keys.isEmpty else { return nil }
            let s = slot(k, offset); return keys[s] == k << 48 | offset ? values[s] : nil
        }
        set {
            guard let v = newValue, size(v) <= budget / 64 else { return }
            if keys.isEmpty { keys = [Int](repeating: -1, count: slots); values = [Value?](repeating: nil, count: slots) }
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
