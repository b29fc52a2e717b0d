import ArgumentParser
import FaultlineAgentAPI
import FaultlineController
import FaultlineLab
import FaultlinePlan
import Foundation

/// Which certificate the controller shows its agents, for `run`, `halt` and
/// `plan --ask-agents`: the CA and NAME.pem / NAME-key.pem in one folder, as
/// `faultline certs init` and `faultline certs issue controller NAME` write them
/// (/etc/faultline/pki by default). A lab's own controller certificate is named
/// `controller`, in the lab's pki folder.
struct ControllerCertificates: ParsableArguments {
    static let defaultFolder = "/etc/faultline/pki"

    @Option(help: ArgumentHelp("Folder with ca.pem and the controller's NAME.pem and NAME-key.pem (default \(ControllerCertificates.defaultFolder), where `faultline certs` writes; the lab's pki folder for inventory: lab).", valueName: "folder"))
    var certs: String?

    @Option(help: ArgumentHelp("The controller certificate's name, as given to `faultline certs issue controller NAME`.", valueName: "name"))
    var controller: String = "controller"

    func folder(forLab isLab: Bool, environment: [String: String]) -> String {
        certs ?? (isLab ? LabPKI.directory(LabInventory.directory(environment: environment)) : Self.defaultFolder)
    }

    /// The TLS files, and the bearer token for `http://` agents from FAULTLINE_AGENT_TOKEN.
    func credentials(forLab isLab: Bool, environment: [String: String]) -> AgentDirectory.Credentials {
        let folder = folder(forLab: isLab, environment: environment)
        return AgentDirectory.Credentials(
            tls: TLSFiles(ca: folder + "/ca.pem", certificate: folder + "/\(controller).pem", key: folder + "/\(controller)-key.pem"),
            bearerToken: environment["FAULTLINE_AGENT_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    }
}
