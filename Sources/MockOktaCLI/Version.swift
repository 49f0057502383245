/// `mock-okta --version`: the release and the commit it was built from (`buildCommit` is written by the
/// VersionStamp build plugin).
enum Version {
    static let release = "0.3.0"
    static var text: String { "mock-okta \(release) (commit \(buildCommit))" }
}
