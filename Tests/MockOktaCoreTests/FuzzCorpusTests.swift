import Foundation
import Testing

@testable import MockOktaCore

/// The fuzz seed corpus (Tests/Fuzz/corpus/<target>/, what `scripts/fuzz` starts from) replayed through
/// the same entry points the libFuzzer harness calls, so the normal test run keeps them compiled and
/// exercised. A reproducer that was fixed can be added to the corpus and is checked here from then on.
@Suite("Fuzz seed corpus replays without a crash")
struct FuzzCorpusTests {
    static func entry(_ target: String) -> (([UInt8]) -> Void)? {
        switch target {
        case "json": return FuzzEntryPoints.json
        case "scenario": return FuzzEntryPoints.scenario
        case "filter": return FuzzEntryPoints.filter
        case "jwt": return FuzzEntryPoints.jwt
        default: return nil
        }
    }

    @Test(arguments: ["json", "scenario", "filter", "jwt"])
    func replay(target: String) throws {
        let dir = repoRoot.appendingPathComponent("Tests/Fuzz/corpus/\(target)")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
        #expect(files.count >= 10, "seed corpus for \(target) is too small")
        let entry = try #require(FuzzCorpusTests.entry(target))
        for f in files.sorted(by: { $0.path < $1.path }) { entry(Array(try Data(contentsOf: f))) }
    }

    @Test("the harness's fixed tenant still issues tokens (the JWT seeds' source)")
    func sampleTokens() {
        let tokens = FuzzEntryPoints.sampleTokens()
        #expect(tokens.count == 3)
        #expect(tokens.allSatisfy { DecodedJWT($0) != nil })
    }

    @Test("a JWT seed with an empty signature, signed by the harness, passes validation (claim checks are reached)")
    func resignedSeedValidates() throws {
        let text = try String(
            contentsOf: repoRoot.appendingPathComponent("Tests/Fuzz/corpus/jwt/resign-default-access-token.jwt"),
            encoding: .utf8)
        let d = try #require(DecodedJWT(text))
        let engine = try #require(FuzzEntryPoints.tokenEngine)
        let signed = try #require(FuzzEntryPoints.resigned(d, engine))
        guard case .success = engine.validateAccessToken(signed, serverId: "default", now: FuzzEntryPoints.fuzzNow)
        else {
            Issue.record("the re-signed seed token does not validate")
            return
        }
    }
}
