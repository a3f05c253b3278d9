extension BootArguments {
    /// The text `--help` prints: every key with its form, default and documentation, by group.
    public static func help(unikernel name: String, keys: [BootKey]) -> String {
        var text = "\(name): a swift-mirage unikernel\n\nUsage: \(name) [BOOT ARGUMENTS]\n"
        let runtimeLines = [
            ("-l, --logs=SOURCE:LEVEL", "Show log messages up to LEVEL (quiet, app, error, warning, info, debug) from SOURCE, or from every source with * or no SOURCE; repeatable. (default: *:info)"),
            ("-h, --help", "Show this help and exit."),
        ]
        var groups: [BootKey.Group: [(String, String)]] = [.runtime: runtimeLines]
        for key in keys {
            var documentation = key.documentation
            if let defaultText = key.defaultText {
                documentation += " (default: \(defaultText.isEmpty ? "\"\"" : defaultText))"
            } else if key.isRequired {
                documentation += " (required)"
            }
            groups[key.group, default: []].append(("--\(key.name)=\(key.form)", documentation))
        }
        let width = min(32, groups.values.joined().map { $0.0.utf8.count }.max() ?? 0)
        for group in groups.keys.sorted() {
            text += "\n\(group.title):\n"
            for (spelling, documentation) in groups[group] ?? [] {
                let padding = max(1, width + 2 - spelling.utf8.count)
                let separator = spelling.utf8.count > width
                    ? "\n" + String(repeating: " ", count: width + 4)
                    : String(repeating: " ", count: padding)
                text += "  " + spelling + separator + documentation + "\n"
            }
        }
        return text
    }
}
