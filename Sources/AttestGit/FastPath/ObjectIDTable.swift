/// Object id to commit index, open addressing with linear probing. Ids are uniformly random,
/// so their first word is the hash: no hashing of 20 bytes per lookup.
struct ObjectIDTable {
    private var keys: [ObjectID]
    private var values: [Int32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1 << 16) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        keys = [ObjectID](repeating: ObjectID(words: 0, 0, 0), count: n)
        values = [Int32](repeating: -1, count: n)
        mask = n - 1
    }

    subscript(id: ObjectID) -> Int32? {
        var i = Int(truncatingIfNeeded: id.a) & mask
        while values[i] >= 0 {
            if keys[i] == id { return values[i] }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Inserts an id that is not in the table yet.
    mutating func insert(_ id: ObjectID, _ value: Int32) {
        if (count + 1) * 2 > keys.count { grow() }
        var i = Int(truncatingIfNeeded: id.a) & mask
        while values[i] >= 0 { i = (i + 1) & mask }
        keys[i] = id
        values[i] = value
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [ObjectID](repeating: ObjectID(words: 0, 0, 0), count: oldKeys.count * 2)
        values = [Int32](repeating: -1, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (k, v) in zip(oldKeys, oldValues) where v >= 0 { insert(k, v) }
    }
}
