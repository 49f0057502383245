import FoundationEssentials

/// Why a recording could not be replayed: one sentence for stderr. `isInternal` marks a scenario that replay built
/// and the loader refused (a bug of ours, exit 1); everything else is bad input (exit 2).
public struct ReplayError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public var isInternal: Bool

    public init(_ message: String, isInternal: Bool = false) {
        self.message = message
        self.isInternal = isInternal
    }

    public var description: String { message }
}

/// The bounds of `mock-okta replay` (README "Limits"). Beyond an input bound replay refuses the file with one
/// sentence; the output bounds are the scenario loader's, and what does not fit is counted in the description.
public enum ReplayLimits {
    /// Largest input file read (HAR or System Log export).
    public static let maxFileBytes = 64 << 20
    /// Most HAR entries or System Log events in one file.
    public static let maxEntries = 100_000
    /// Largest response body (decoded) read for an error code; longer bodies are not parsed.
    public static let maxBodyBytes = 64 << 10
    /// Rules and expectations per scenario (the schema's `maxItems`).
    public static let maxRules = 1000
    public static let maxExpectations = 1000
    /// Ordinals in one rule's `nth` list; a longer run of the same fault starts a new rule.
    public static let maxOrdinalsPerRule = 1000
    /// Longest `--name`.
    public static let maxNameLength = 100
    /// A HAR request at least this slow (and 4 × the median) is replayed as a `delay`; one this slow that got no
    /// answer, as a `hang`.
    public static let slowMs = 2000.0
    /// A replayed hang lasts at least this long (and at most the schema's 3,600 s).
    public static let minHangSeconds = 60
    /// `resetAfterSeconds` when the recording does not say (the System Log carries no reset): the shortest distance
    /// that tells an impatient client from a polite one (schema).
    public static let defaultResetSeconds = 3
    /// `maxAttempts` for a route that failed: the first try plus three retries (python, Node and Go retry a 429
    /// twice by default; Java's four retries fail it only after four 429s in a row).
    public static let maxAttempts = 4
    /// `abandonsHangWithin.maxSeconds` (the shipped hang scenario's).
    public static let hangTimeoutSeconds = 30
}

/// What kind of trouble a recorded request met; decides the expectations.
enum ReplayCategory: String, Sendable {
    case rateLimit, denied, oauthGrant, serverError, hang, delay, connection, brokenBody, token
}

/// One fault to inject, as the scenario's `fault` object, with what it is for counts and descriptions.
struct ReplayFault: Sendable {
    var json: JSON
    var category: ReplayCategory
    /// Short label counted in the description: `429`, `401 E0000011`, `hang`.
    var label: String
    /// What the client saw, for the rule's description.
    var summary: String
    /// The status served, if the fault serves one (401, 403, 400 for `noRetryOn`).
    var status: Int? = nil
    /// A denial that a correct client does not repeat with the same credentials (judged by `noRetryOn`).
    var noRetry: Bool = false
}

/// One request of the recording that reached Okta: with a fault to replay, or nil when it went through.
struct RecordedRequest: Sendable {
    /// nil when the recording does not say (the System Log): the rule then matches the path only.
    var method: String?
    var path: String
    var fault: ReplayFault?
}

/// Reasons and counts in first-seen order (deterministic descriptions).
struct Tally: Sendable {
    private(set) var keys: [String] = []
    private(set) var counts: [String: Int] = [:]

    mutating func add(_ key: String, _ n: Int = 1) {
        if counts[key] == nil { keys.append(key) }
        counts[key, default: 0] += n
    }

    var total: Int { counts.values.reduce(0, +) }
    var isEmpty: Bool { keys.isEmpty }
    var items: [(String, Int)] { keys.map { ($0, counts[$0] ?? 0) } }
}

/// What a reader made of a file.
struct Recording: Sendable {
    /// `HAR` or `System Log`, and what made it (`Chrome`, `mock-okta`).
    var format: String
    var producer: String?
    /// HAR entries or System Log events in the file.
    var total: Int
    var requests: [RecordedRequest] = []
    var skipped = Tally()
    /// Statuses left out as data-dependent (`404`), counted apart so the description can list them.
    var otherStatuses = Tally()
    /// Sentences the description carries about how ordinals were counted.
    var notes: [String] = []
}

/// The scenario replay wrote: the document, its text, and lines worth telling on stderr.
public struct ReplayOutput: Sendable {
    public var scenario: JSON
    public var text: String
    public var ruleCount: Int
    public var expectationCount: Int
    public var warnings: [String]
}
