import ArgumentParser
import FoundationEssentials
import MockOktaCore
import MockOktaServer

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Show a token's claims; explain why Okta would answer 401/403.",
        subcommands: [Decode.self, Explain.self])

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a JWT's header and claims.")
        @Argument(help: "The JWT.") var jwt: String
        func run() throws {
            guard let d = DecodedJWT(jwt.trimmingWhitespaceAndNewlines()) else {
                print("not a JWT: expected three base64url parts separated by dots")
                throw ExitCode(1)
            }
            print(TokenExplainer.decodeText(d))
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge a token as Okta would for a route (default GET:/api/v1/users).",
            discussion: """
                Keys come from the tenant given by --seed or --db (or MOCK_OKTA_SEED / MOCK_OKTA_DB); without either, \
                from the token's issuer (its discovery document, then jwks_uri; MOCK_OKTA_CA_FILE is trusted for \
                https). --offline never fetches. Exit 0 = accepted, 1 = refused, 2 = bad usage.
                """)
        @Argument(help: "The JWT.") var jwt: String
        @Option(name: .customLong("for"), help: "METHOD:PATH, e.g. GET:/api/v1/users") var route: String =
            "GET:/api/v1/users"
        @Option(help: "Seed of the tenant that issued the token.") var seed: UInt64?
        @Option(help: "SQLite file of the tenant that issued the token.") var db: String?
        @Flag(help: "Do not fetch the issuer's keys over the network.") var offline = false

        func validate() throws {
            let parts = route.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix("/") else {
                throw ValidationError("--for takes METHOD:PATH, e.g. GET:/api/v1/users")
            }
        }

        func run() async throws {
            var opts = MockOktaOptions()
            opts.seed = seed ?? ServerOptions.env("SEED").flatMap(UInt64.init)
            opts.dbPath = db ?? ServerOptions.env("DB") ?? ":memory:"
            opts.rateLimitsEnabled = false
            let parts = route.split(separator: ":", maxSplits: 1).map(String.init)
            let token = jwt.trimmingWhitespaceAndNewlines()
            let seedKnown = opts.seed != nil || opts.dbPath != ":memory:"
            var keys: TokenExplainer.IssuerKeys? = nil
            if !seedKnown && offline {
                // No tenant named and no fetching: the signature cannot be judged; never guess with a random tenant.
                let iss = DecodedJWT(token)?.claims["iss"]?.stringValue ?? ""
                keys = .init(
                    issuer: iss, jwksURI: "--offline and no --seed or --db of the tenant that issued it", keys: [])
            } else if !seedKnown, let iss = DecodedJWT(token)?.claims["iss"]?.stringValue {
                do {
                    keys = try await Self.fetchKeys(issuer: iss)
                } catch {
                    print(
                        "could not fetch the keys of \(iss): \(error) (give --seed or --db of the tenant, or --offline)"
                    )
                }
            }
            let result = try TokenExplainer.explain(
                token, method: parts[0].uppercased(), path: parts[1], options: opts, seedKnown: seedKnown,
                issuerKeys: keys)
            print(result.text)
            if !result.accepted { throw ExitCode(1) }
        }

        /// The issuer's discovery document, then its `jwks_uri`.
        static func fetchKeys(issuer: String) async throws -> TokenExplainer.IssuerKeys {
            let ca = ServerOptions.env("CA_FILE")
            let (s1, d) = try await HTTPGet.get(issuer + "/.well-known/openid-configuration", caFile: ca)
            guard s1 == 200, let doc = try? JSONParser.parse(bytes: d), let uri = doc["jwks_uri"]?.stringValue else {
                throw HTTPGet.Failure(
                    description: "no discovery document at \(issuer)/.well-known/openid-configuration (HTTP \(s1))")
            }
            let (s2, k) = try await HTTPGet.get(uri, caFile: ca)
            guard s2 == 200, let jwks = try? JSONParser.parse(bytes: k), let keys = jwks["keys"]?.arrayValue else {
                throw HTTPGet.Failure(description: "no JWKS at \(uri) (HTTP \(s2))")
            }
            return TokenExplainer.IssuerKeys(issuer: doc["issuer"]?.stringValue ?? issuer, jwksURI: uri, keys: keys)
        }
    }
}
