/// Faultline's version, one for the controller, the agent and the Debian package.
///
/// The repository's `VERSION` file holds the same string for the Makefile (`make deb`
/// names the package after it); `FaultlineVersionTests` fails when the two disagree, so
/// a release bumps both in one commit.
public enum FaultlineVersion {
    public static let current = "0.1.0"
}
