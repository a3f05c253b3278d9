/// What a server keeps to answer plain queries one after another (``DNSAuthority``'s
/// `writePlainResponse(to:transport:maximumSize:in:)`): the writer of the response, the plan it is
/// written from, and the room the question's name is read into. Each is emptied for the next
/// query with its room kept, and the plan lets go of the question's name once the response is
/// written, so the name's room is the workspace's alone again: a plain query allocates nothing
/// here after the first (a distinct query allocated the name and the plan's answers;
/// Benchmarks/dns/instructions.py). It cannot be copied, as its writer cannot.
struct DNSResponseWorkspace: ~Copyable {
    /// The response last written; what it wrote stays until the next query.
    var writer = DNSWireWriter()
    var plan = DNSAnswerPlan()
    /// The question's name's wire labels, for ``DNSPlainQuery/init(_:nameRoom:)``.
    var nameRoom: [UInt8] = []

    init() {}
}
