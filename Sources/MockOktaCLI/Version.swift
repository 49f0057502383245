import MockOktaCore

/// `mock-okta --version`: the release and the commit it was built from (`buildCommit` is written by the
/// VersionStamp build plugin).
enum Version {
    static var release: String { MockOktaVersion.release }
    static var text: String { "mock-okta \(release) (commit \(buildCommit))" }
}
