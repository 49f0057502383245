import Foundation
import PackagePlugin

/// Stamps the git commit into the build (for `mock-okta --version`): a prebuild command writes
/// `BuildInfo.swift` with the short commit, or "unknown" outside a git checkout (a source tarball, Docker).
@main
struct VersionStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let out = context.pluginWorkDirectoryURL.appendingPathComponent("BuildInfo.swift")
        let repo = context.package.directoryURL.path
        let script = """
            c=$(git -C '\(repo)' rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
            d=$(git -C '\(repo)' status --porcelain --untracked-files=no 2>/dev/null | head -1)
            [ -n "$d" ] && c="$c-dirty"
            t="let buildCommit = \\"$c\\""
            [ "$(cat '\(out.path)' 2>/dev/null)" = "$t" ] || printf '%s\\n' "$t" > '\(out.path)'
            """
        return [
            .prebuildCommand(
                displayName: "Stamping the git commit", executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script], outputFilesDirectory: context.pluginWorkDirectoryURL)
        ]
    }
}
