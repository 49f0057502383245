import Foundation
import PackagePlugin

/// Puts `scenarios/` inside the binary at build time: the scenario schema and every shipped scenario become string
/// constants in a generated `EmbeddedScenarios.swift` (in the build folder, never committed). The binary validates
/// with the very schema editors use and runs shipped scenarios by name from any directory.
@main
struct EmbedScenarios: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let dir = context.package.directoryURL.appendingPathComponent("scenarios")
        let out = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedScenarios.swift")
        let script = context.package.directoryURL.appendingPathComponent("scripts/embed-scenarios.sh")
        // Writes only when the text changes, so an unchanged tree does not recompile the core.
        return [
            .prebuildCommand(
                displayName: "Embedding scenarios/ into the binary", executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [script.path, dir.path, out.path], outputFilesDirectory: context.pluginWorkDirectoryURL)
        ]
    }
}
