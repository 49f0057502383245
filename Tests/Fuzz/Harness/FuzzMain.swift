// libFuzzer harness for mock-okta's parsers: one binary, the target picked by MOCK_OKTA_FUZZ_TARGET
// (json, scenario, filter, jwt). Built and run only by scripts/fuzz: Package.swift declares this target
// only when MOCK_OKTA_FUZZ=1, and scripts/fuzz builds it with `--sanitize fuzzer -Xswiftc -sanitize=fuzzer,address`
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
    FileHandle.standardError.write(
        Data(
            "MockOktaFuzz: set MOCK_OKTA_FUZZ_TARGET to one of \(targets.keys.sorted().joined(separator: ", "))\n".utf8)
    )
    exit(2)
}()

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
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
    guard let data else {
        entry([])
        return 0
    }
    entry(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// MARK: - JWT-aware mutation

/// libFuzzer's own mutator (its default mutations, dictionary and comparison hints included).
@_silgen_name("LLVMFuzzerMutate")
func llvmFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// For `jwt`, two mutations in three edit the base64url-decoded header or claims and encode them again,
/// so that mutated JSON reaches the claim checks; the rest (and every other target) mutate the raw bytes.
@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzerCustomMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: CUnsignedInt)
    -> Int
{
    guard targetName == "jwt", seed % 3 != 0 else { return llvmFuzzerMutate(data, size, maxSize) }
    var parts = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
        .split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard parts.count >= 2 else { return llvmFuzzerMutate(data, size, maxSize) }
    let which = Int(seed / 3) % 2  // 0: header, 1: claims
    guard var decoded = Base64URL.decode(parts[which]) else { return llvmFuzzerMutate(data, size, maxSize) }
    let room = max(decoded.count * 2, 64)
    let used = decoded.count
    decoded += [UInt8](repeating: 0, count: room - used)
    let n = decoded.withUnsafeMutableBufferPointer { llvmFuzzerMutate($0.baseAddress!, used, room) }
    parts[which] = Base64URL.encode(Array(decoded.prefix(n)))
    let out = Array(parts.joined(separator: ".").utf8)
    guard out.count <= maxSize else { return llvmFuzzerMutate(data, size, maxSize) }
    out.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: out.count) }
    return out.count
}
