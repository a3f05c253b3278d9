/// Up to four SACK blocks, stored inline so that parsing an acknowledgment allocates nothing
/// (40 option bytes fit at most four; with timestamps, three).
public struct SACKBlocks: Hashable, Sendable, RandomAccessCollection {
    private var storage: (SACKBlock, SACKBlock, SACKBlock, SACKBlock)
    public private(set) var count: Int

    public static let capacity = 4
    private static let empty = SACKBlock(left: 0, right: 0)

    public init() {
        storage = (Self.empty, Self.empty, Self.empty, Self.empty)
        count = 0
    }

    public init(_ blocks: [SACKBlock]) {
        precondition(blocks.count <= Self.capacity, "at most four SACK blocks fit in a TCP header")
        self.init()
        for block in blocks { append(block) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(index: Int) -> SACKBlock {
        precondition(index >= 0 && index < count, "SACK block index out of range")
        switch index {
        case 0: return storage.0
        case 1: return storage.1
        case 2: return storage.2
        default: return storage.3
        }
    }

    public mutating func append(_ block: SACKBlock) {
        precondition(count < Self.capacity, "at most four SACK blocks fit in a TCP header")
        switch count {
        case 0: storage.0 = block
        case 1: storage.1 = block
        case 2: storage.2 = block
        default: storage.3 = block
        }
        count += 1
    }

    public static func == (lhs: SACKBlocks, rhs: SACKBlocks) -> Bool { lhs.elementsEqual(rhs) }

    public func hash(into hasher: inout Hasher) {
        for block in self { hasher.combine(block) }
    }
}
