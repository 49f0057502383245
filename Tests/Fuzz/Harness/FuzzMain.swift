// libFuzzer harness for mock-okta's parsers: one binary, the target picked by MOCK_OKTA_FUZZ_TARGET
// (json, scenario, filter, jwt). Built and run only by scripts/fuzz: Package.swift declares this target
// only when MOCK_OKTA_FUZZ=1, and scripts/fuzz builds it with `--sanitize fuzzer --sanitize address`
// (libFuzzer brings main; there is none here). Every input goes to one function of
// MockOktaCore's FuzzEntryPoints; seeds are in Tests/Fuzz/corpus/<target>/.
//
// Reproduce a finding: MOCK_OKTA_FUZZ_TARGET=json .build-fuzz/release/MockOktaFuzz path/to/crash-file
import Foundation
import MockOktaCore

let targets: [String: @Sendable ([UInt8]) -> Void] = [
    "json": { FuzzEntryPoints.json($0) },
    "scenario": { FuzzEntryPoints.scenario($0) },
    "filter": { FuzzEntryPoints.filter($0) },
    "jwt": { FuzzEntryPoints.jwt($0) },
]

let targetName = ProcessInfo.processInfo.environment["MOCK_OKTA_FUZZ_TARGET"] ?? ""

let entry: @Sendable ([UInt8]) -> Void = {
    if let e = targets[targetName] { return e }
    FileHandle.standardError.write(Data("MockOktaFuzz: set MOCK_OKTA_FUZZ_TARGET to one of \(targets.keys.sorted().joined(separator: ", "))\n".utf8))
    exit(2)
}()

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if targetName == "print-jwt-seeds" {
        // Real tokens of the harness's fixed tenant, one per line (regenerates Tests/Fuzz/corpus/jwt/real-*).
        for t in FuzzEntryPoints.sampleTokens() { print(t) }
        exit(0)
    }
    _ = entry
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { entry([]); return 0 }
    entry(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
