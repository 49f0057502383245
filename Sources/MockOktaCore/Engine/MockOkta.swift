import Dispatch
import FoundationEssentials
import Logging

public struct MockOktaOptions: Sendable {
    public var seed: UInt64?
    public var dbPath: String = ":memory:"
    public var adminToken: String?
    public var journalLimit: Int = 100_000
    public var rateLimitsEnabled: Bool = true
    public var scenarios: [Scenario] = []
    public init() {}
}

/// The fake Okta org: tenant state, token service, Management API, scenario engine, journal and verdicts.
/// HTTP-agnostic: the server adapts `handle(_:)` to the wire and carries out wire faults.
public final class MockOkta: Sendable {
    public let clock: TenantClock
    /// Real time for scenario timelines and the journal (not moved by advanceClock).
    public let realClock: any WallClock
    public let seed: UInt64
    public let store: Store
    public let options: MockOktaOptions
    public let journal: Journal
    public let systemLog: SystemLog
    public let rateLimiter: RateLimiter
    public let logger: Logger

    let state: Mutex<TenantData>
    let baseline: Mutex<TenantData>
    /// The tenant before any runtime-loaded scenario (start-up fixtures included).
    let originalBaseline: Mutex<TenantData>
    let secrets: TenantSecrets
    let keyCache = Mutex<[String: RSAKey]>([:])
    /// The tenant's network zones, kept apart from `state` so the System Log can place a request in its zone from
    /// anywhere, even under the tenant lock (updated by `mutate`).
    let zoneCache = Mutex<[ParsedZone]>([])
    /// Pre-encoded JWKS and discovery bodies (keyed by server, kids and base URL).
    let bodyCache = Mutex<[String: [UInt8]]>([:])
    let base = Mutex<String>("http://127.0.0.1:8080")
    let caFile = Mutex<String?>(nil)
    let ids: RandomSource
    let jtis: RandomSource
    let requestIds: RandomSource
    let tokenValues: RandomSource
    let runtime: Mutex<ScenarioRuntime>
    /// The default user type id ("oty…"), fixed for the life of the org.
    let userTypeId: String
    let faultRandom: Mutex<RandomSource>
    /// Sub-second mint times of recent access tokens (the `expireAccessTokens` boundary).
    let recentMints = RecentMints()
    /// Keys for rotations, made in the background before they are needed.
    let rotationKeys: RotationKeys
    /// Unknown event types a System Log filter named, each hinted on stderr once.
    let hintedEventTypes = Mutex<Set<String>>([])
    /// Pushed authorization requests by `request_uri` (in memory only: they live minutes).
    let pushedRequests = Mutex<[String: PushedRequest]>([:])
    /// DPoP proof ids seen in the last five minutes (a replayed proof is refused; OAuth/DPoP.swift).
    let dpopProofIds = Mutex<[String: Double]>([:])
    /// Authn transactions, session tokens and sessions (in memory: see `SignInState`).
    let signIn = Mutex(SignInState())

    public init(
        options: MockOktaOptions = MockOktaOptions(), clock: TenantClock = TenantClock(),
        logger: Logger = Logger(label: "mock-okta")
    ) throws {
        self.options = options
        self.clock = clock
        self.realClock = clock.base
        self.logger = logger
        let store = try Store(path: options.dbPath)
        self.store = store
        let scenarioSeed = options.scenarios.compactMap(\.seed).first
        let opened = try MockOkta.openTenant(
            store, options: options, seed: options.seed ?? scenarioSeed ?? UInt64.random(in: 1...UInt64(Int64.max)),
            now: clock.now())
        let (tenant, seed) = (opened.tenant, opened.seed)
        self.seed = seed
        self.secrets = opened.secrets
        rotationKeys = RotationKeys(seed: seed)
        userTypeId = "oty" + String(tenant.orgId.dropFirst(3))
        state = Mutex(tenant)
        zoneCache.withLock { $0 = tenant.signOn.zones.map(ParsedZone.init) }
        baseline = Mutex(tenant)
        originalBaseline = Mutex(tenant)
        let run = opened.generation == 0 ? "" : ".generation\(opened.generation)"
        ids = RandomSource(seed: seed, purpose: "runtime.ids" + run)
        jtis = RandomSource(seed: seed, purpose: "runtime.jti" + run)
        requestIds = RandomSource(seed: seed, purpose: "runtime.requestIds" + run)
        tokenValues = RandomSource(seed: seed, purpose: "runtime.tokens" + run)
        faultRandom = Mutex(MockOkta.faultSource(options: options, scenarioSeed: scenarioSeed, tenantSeed: seed))
        // With --db the journal and System Log are persisted (batched); in memory they live in RAM only.
        let persistent = options.dbPath != ":memory:"
        journal = Journal(limit: options.journalLimit, store: persistent ? store : nil)
        systemLog = SystemLog(store: persistent ? store : nil, limit: min(options.journalLimit, SystemLog.defaultLimit))
        rateLimiter = RateLimiter(enabled: MockOkta.rateLimitsEnabled(options))
        rateLimiter.reset(overrides: tenant.rateLimitOverrides)
        let scenario = MockOkta.combinedScenario(options.scenarios)
        runtime = Mutex(ScenarioRuntime(scenario: scenario, loadedAt: clock.base.now()))
        prepareRotationKeys(scenario)
        if persistent { restorePersistedLogs() }
    }

    /// Reads back a `--db` file's journal and System Log in the background: a large one must not delay readiness.
    private func restorePersistedLogs() {
        let (journal, systemLog) = (self.journal, self.systemLog)
        DispatchQueue.global(qos: .utility).async {
            journal.restore()
            systemLog.restore()
        }
    }

    /// The generator for `probability`: `--seed` wins, then the scenario's `seed`, then the tenant's.
    static func faultSource(options: MockOktaOptions, scenarioSeed: UInt64?, tenantSeed: UInt64) -> RandomSource {
        RandomSource(seed: options.seed ?? scenarioSeed ?? tenantSeed, purpose: "faults.probability")
    }
}

/// The tenant an org starts from, and the seed and generation of its random streams.
private struct OpenedTenant {
    var tenant: TenantData
    var secrets: TenantSecrets
    var seed: UInt64
    /// How many times a `--db` file was reopened; 0 for a fresh tenant.
    var generation: Int
}

extension MockOkta {
    /// The tenant of a `--db` file if it holds one, else a new one built from `seed` (and saved).
    ///
    /// Each reopening of a --db file is a new generation with its own random streams, so ids, codes, refresh tokens
    /// and jtis never repeat an earlier run's. A fresh tenant is generation 0: --seed alone still reproduces it
    /// exactly.
    private static func openTenant(_ store: Store, options: MockOktaOptions, seed: UInt64, now: Double) throws
        -> OpenedTenant
    {
        if store.keepsTenant, let stored = store.meta("secrets"),
            let s = try? JSONDecoder().decode(TenantSecrets.self, from: Data(stored.utf8)),
            var tenant = MockOkta.loadTenant(store)
        {
            // A --db file's state wins over --seed.
            // A file written before servers had Okta ids and before trusted origins: fill in what a fresh tenant has.
            let storedSeed = UInt64(store.meta("seed") ?? "") ?? seed
            try DefaultTenant.upgrade(&tenant, seed: storedSeed, store: store)
            let generation = (Int(store.meta("generation") ?? "0") ?? 0) + 1
            try store.setMeta("generation", String(generation))
            return OpenedTenant(
                tenant: tenant, secrets: s, seed: UInt64(store.meta("seed") ?? "") ?? seed, generation: generation)
        }
        var (tenant, secrets) = try DefaultTenant.build(seed: seed, now: now)
        for sc in options.scenarios where !sc.tenant.isEmpty {
            DefaultTenant.apply(sc.tenant, to: &tenant, seed: seed, now: now)
        }
        // Without --db nothing is read back (the next process builds its own tenant): SQLite stays closed.
        guard store.keepsTenant else {
            return OpenedTenant(tenant: tenant, secrets: secrets, seed: seed, generation: 0)
        }
        try MockOkta.saveTenant(tenant, store)
        try store.setMeta("seed", String(seed))
        try store.setMeta("trustedOriginsSeeded", "1")
        if let d = try? JSONEncoder().encode(secrets) {
            try store.setMeta("secrets", String(decoding: d, as: UTF8.self))
        }
        return OpenedTenant(tenant: tenant, secrets: secrets, seed: seed, generation: 0)
    }

    /// Whether rate limits apply: the option, unless a scenario's tenant turns them off or on (the last one wins).
    private static func rateLimitsEnabled(_ options: MockOktaOptions) -> Bool {
        var rateEnabled = options.rateLimitsEnabled
        for sc in options.scenarios { if let off = sc.tenant.rateLimitsOff { rateEnabled = !off } }
        return rateEnabled
    }

    /// The start-up scenarios as one: the first, with the others' rules, timeline and expectations appended.
    private static func combinedScenario(_ scenarios: [Scenario]) -> Scenario? {
        var scenario: Scenario? = nil
        for sc in scenarios {
            if scenario == nil {
                scenario = sc
            } else {
                scenario!.rules += sc.rules
                scenario!.timeline += sc.timeline
                scenario!.expect += sc.expect
                scenario!.name += "+" + sc.name
            }
        }
        return scenario
    }
}
