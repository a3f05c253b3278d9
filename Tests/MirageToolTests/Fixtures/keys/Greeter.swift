import MirageRuntime

/// A fixture application taking two devices and keys of each stage and type.
struct Greeter<Disk: BlockDevice, Output: Console>: Unikernel {
    let disk: Disk
    let console: Output
    let count: Int
    let greeting: String
    let loudVoice: Bool

    init(_ disk: Disk, _ console: Output, count: Int, greeting: String, loudVoice: Bool) {
        self.disk = disk
        self.console = console
        self.count = count
        self.greeting = greeting
        self.loudVoice = loudVoice
    }

    func start() async {
        let text = loudVoice ? greeting.uppercased() : greeting
        for _ in 0..<count {
            console.write("\(text) from a disk of \(disk.info.sectorCount) sectors\n")
        }
    }
}
