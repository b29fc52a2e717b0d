#if canImport(Glibc)
import Glibc
#endif
import CNLRoute

/// Swift wrapper of libnl-route-3: one rtnetlink socket and the few link, qdisc, class and
/// classifier operations the traffic-control shims need.
///
/// Why libnl-route rather than our own rtnetlink code: it already encodes the awkward parts
/// (tbf/htb rate tables, u32 selectors, nested mirred actions, netem distribution tables) and
/// reports the kernel's errno as an `NLE_*` code with a text (`nl_geterror`), which our
/// errors carry with the call's name. Every object is allocated and released here; callers
/// see only Swift values.
///
/// Create it on the namespace thread: the socket binds to that thread's namespace.
final class RouteNetlink {
    /// A qdisc as the kernel lists it.
    struct Qdisc: Equatable {
        var ifindex: Int32
        var parent: UInt32
        var handle: UInt32
        var kind: String
    }

    static let rootParent: UInt32 = 0xFFFF_FFFF      // TC_H_ROOT
    static let ingressParent: UInt32 = 0xFFFF_FFF1   // TC_H_INGRESS
    static let ingressHandle: UInt32 = 0xFFFF_0000

    private let socket: OpaquePointer

    init() throws {
        guard let socket = nl_socket_alloc() else {
            throw NetShimError.library(call: "nl_socket_alloc", message: "returned NULL")
        }
        let status = nl_connect(socket, NETLINK_ROUTE)
        guard status == 0 else {
            nl_socket_free(socket)
            throw Self.error("nl_connect(NETLINK_ROUTE)", status)
        }
        self.socket = socket
    }

    deinit { nl_socket_free(socket) }

    static func error(_ call: String, _ status: Int32) -> NetShimError {
        .library(call: call, message: "\(String(cString: nl_geterror(status))) (libnl error \(-status))")
    }

    // MARK: links

    /// The interface index of `name`, or nil if there is no such link.
    func ifindex(of name: String) throws -> Int32? {
        var link: OpaquePointer?
        let status = rtnl_link_get_kernel(socket, 0, name, &link)
        if status == -NLE_OBJ_NOTFOUND || status == -NLE_NODEV { return nil }
        guard status == 0, let link else { throw Self.error("rtnl_link_get_kernel(\(name))", status) }
        defer { rtnl_link_put(link) }
        return rtnl_link_get_ifindex(link)
    }

    /// A link as the kernel lists it; `type` is its kind ("ifb", "veth"...), "" for none.
    struct Link: Equatable {
        var ifindex: Int32
        var name: String
        var type: String
    }

    /// Every link of this namespace.
    func links() throws -> [Link] {
        var cache: OpaquePointer?
        let status = rtnl_link_alloc_cache(socket, AF_UNSPEC, &cache)
        guard status == 0, let cache else { throw Self.error("rtnl_link_alloc_cache", status) }
        defer { nl_cache_free(cache) }
        var result: [Link] = []
        var object = nl_cache_get_first(cache)
        while let link = object {
            result.append(Link(ifindex: rtnl_link_get_ifindex(link), name: rtnl_link_get_name(link).map { String(cString: $0) } ?? "",
                               type: rtnl_link_get_type(link).map { String(cString: $0) } ?? ""))
            object = nl_cache_get_next(link)
        }
        return result
    }

    /// Creates a link of `type` (e.g. "ifb") named `name` and sets it up.
    func addLink(name: String, type: String) throws {
        guard let link = rtnl_link_alloc() else { throw NetShimError.library(call: "rtnl_link_alloc", message: "NULL") }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        let typed = rtnl_link_set_type(link, type)
        guard typed == 0 else { throw Self.error("rtnl_link_set_type(\(type))", typed) }
        rtnl_link_set_flags(link, UInt32(IFF_UP))
        let status = rtnl_link_add(socket, link, fl_nlm_f_create() | fl_nlm_f_excl())
        guard status == 0 else { throw Self.error("rtnl_link_add(\(name), type \(type))", status) }
    }

    /// Deletes the link `name`; success if it does not exist.
    func deleteLink(name: String) throws {
        guard let index = try ifindex(of: name) else { return }
        guard let link = rtnl_link_alloc() else { throw NetShimError.library(call: "rtnl_link_alloc", message: "NULL") }
        defer { rtnl_link_put(link) }
        rtnl_link_set_ifindex(link, index)
        let status = rtnl_link_delete(socket, link)
        guard status == 0 || status == -NLE_OBJ_NOTFOUND || status == -NLE_NODEV else {
            throw Self.error("rtnl_link_delete(\(name))", status)
        }
    }

    // MARK: qdiscs

    func qdiscs(ifindex: Int32) throws -> [Qdisc] {
        var cache: OpaquePointer?
        let status = rtnl_qdisc_alloc_cache(socket, &cache)
        guard status == 0, let cache else { throw Self.error("rtnl_qdisc_alloc_cache", status) }
        defer { nl_cache_free(cache) }
        var result: [Qdisc] = []
        var object = nl_cache_get_first(cache)
        while let current = object {
            let tc = current
            if rtnl_tc_get_ifindex(tc) == ifindex {
                result.append(Qdisc(ifindex: ifindex, parent: rtnl_tc_get_parent(tc), handle: rtnl_tc_get_handle(tc),
                                    kind: rtnl_tc_get_kind(tc).map { String(cString: $0) } ?? ""))
            }
            object = nl_cache_get_next(current)
        }
        return result
    }

    /// Allocates a qdisc of `kind` at `parent` with `handle`, lets `configure` set its
    /// parameters, and adds it with `flags` (NLM_F_CREATE, NLM_F_REPLACE...).
    func addQdisc(ifindex: Int32, parent: UInt32, handle: UInt32, kind: String, flags: Int32,
                  description: String, configure: (OpaquePointer) throws -> Void = { _ in }) throws {
        guard let qdisc = rtnl_qdisc_alloc() else { throw NetShimError.library(call: "rtnl_qdisc_alloc", message: "NULL") }
        defer { rtnl_qdisc_put(qdisc) }
        rtnl_tc_set_ifindex(qdisc, ifindex)
        rtnl_tc_set_parent(qdisc, parent)
        rtnl_tc_set_handle(qdisc, handle)
        let kindStatus = rtnl_tc_set_kind(qdisc, kind)
        guard kindStatus == 0 else { throw Self.error("rtnl_tc_set_kind(\(kind))", kindStatus) }
        try configure(qdisc)
        let status = rtnl_qdisc_add(socket, qdisc, flags)
        guard status == 0 else { throw Self.error("rtnl_qdisc_add(\(description))", status) }
    }

    /// Deletes the qdisc at `parent` with `handle`; success if it is not there.
    func deleteQdisc(ifindex: Int32, parent: UInt32, handle: UInt32, kind: String) throws {
        guard let qdisc = rtnl_qdisc_alloc() else { throw NetShimError.library(call: "rtnl_qdisc_alloc", message: "NULL") }
        defer { rtnl_qdisc_put(qdisc) }
        rtnl_tc_set_ifindex(qdisc, ifindex)
        rtnl_tc_set_parent(qdisc, parent)
        rtnl_tc_set_handle(qdisc, handle)
        _ = rtnl_tc_set_kind(qdisc, kind)
        let status = rtnl_qdisc_delete(socket, qdisc)
        guard status == 0 || status == -NLE_OBJ_NOTFOUND || status == -NLE_NODEV else {
            throw Self.error("rtnl_qdisc_delete(\(kind) \(Self.handleText(handle)))", status)
        }
    }

    // MARK: classes and filters

    func addClass(ifindex: Int32, parent: UInt32, classid: UInt32, kind: String,
                  configure: (OpaquePointer) throws -> Void) throws {
        guard let tclass = rtnl_class_alloc() else { throw NetShimError.library(call: "rtnl_class_alloc", message: "NULL") }
        defer { rtnl_class_put(tclass) }
        rtnl_tc_set_ifindex(tclass, ifindex)
        rtnl_tc_set_parent(tclass, parent)
        rtnl_tc_set_handle(tclass, classid)
        let kindStatus = rtnl_tc_set_kind(tclass, kind)
        guard kindStatus == 0 else { throw Self.error("rtnl_tc_set_kind(\(kind))", kindStatus) }
        try configure(tclass)
        let status = rtnl_class_add(socket, tclass, fl_nlm_f_create())
        guard status == 0 else { throw Self.error("rtnl_class_add(\(kind) \(Self.handleText(classid)))", status) }
    }

    /// Adds a u32 filter at `parent`; `configure` adds keys, a classid or actions.
    func addU32Filter(ifindex: Int32, parent: UInt32, priority: UInt16, protocol: UInt16,
                      configure: (OpaquePointer) throws -> Void) throws {
        guard let filter = rtnl_cls_alloc() else { throw NetShimError.library(call: "rtnl_cls_alloc", message: "NULL") }
        defer { rtnl_cls_put(filter) }
        rtnl_tc_set_ifindex(filter, ifindex)
        rtnl_tc_set_parent(filter, parent)
        let kindStatus = rtnl_tc_set_kind(filter, "u32")
        guard kindStatus == 0 else { throw Self.error("rtnl_tc_set_kind(u32)", kindStatus) }
        rtnl_cls_set_prio(filter, priority)
        rtnl_cls_set_protocol(filter, `protocol`)
        try configure(filter)
        let status = rtnl_cls_add(socket, filter, fl_nlm_f_create())
        guard status == 0 else { throw Self.error("rtnl_cls_add(u32 at \(Self.handleText(parent)))", status) }
    }

    /// The priorities of the filters attached at `parent` on `ifindex`.
    func filterPriorities(ifindex: Int32, parent: UInt32) throws -> [UInt16] {
        var cache: OpaquePointer?
        let status = rtnl_cls_alloc_cache(socket, ifindex, parent, &cache)
        guard status == 0, let cache else { throw Self.error("rtnl_cls_alloc_cache(\(Self.handleText(parent)))", status) }
        defer { nl_cache_free(cache) }
        var result: [UInt16] = []
        var object = nl_cache_get_first(cache)
        while let filter = object {
            result.append(rtnl_cls_get_prio(filter))
            object = nl_cache_get_next(filter)
        }
        return result
    }

    static func handleText(_ handle: UInt32) -> String {
        String(handle >> 16, radix: 16) + ":" + (handle & 0xFFFF == 0 ? "" : String(handle & 0xFFFF, radix: 16))
    }

    /// Runs a libnl setter that returns a status, throwing with its name on failure.
    static func check(_ call: String, _ status: Int32) throws {
        guard status >= 0 else { throw error(call, status) }
    }
}
