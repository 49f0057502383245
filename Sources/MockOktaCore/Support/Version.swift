/// The mock-okta release (the CLI adds the commit it was built from).
public enum MockOktaVersion {
    public static let release = "0.3.0"
}
