import NIOCore
import NIOTLS

/// Closes a connection that does not deliver a whole request in time, counted from a
/// fixed start, never reset by a byte: the TLS handshake within `handshakeDeadline` of
/// the accept, the first request's headers and body within `requestDeadline` of the
/// accept, a later request's within `requestDeadline` of its first byte, and a kept-alive
/// connection with no request after `keepAliveIdle`.
///
/// Sits between TLS (it sees plaintext) and the HTTP decoder; the request handler tells
/// it with the outbound user events `RequestDeadlineHandler.Event` when a request has
/// been read whole and when its response is written.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Event { case requestRead, responseWritten }

    private enum Phase { case reading, handling(nextStarted: Bool), idle }

    let limits: ServerLimits
    let secure: Bool
    /// Called with the reason before the connection is closed (not for an idle keep-alive).
    let expired: (String) -> Void
    private var phase = Phase.reading
    private var timer: Scheduled<Void>?
    private var handshakeTimer: Scheduled<Void>?

    init(limits: ServerLimits, secure: Bool, expired: @escaping (String) -> Void) {
        self.limits = limits; self.secure = secure; self.expired = expired
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { started(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        started(context: context)
        context.fireChannelActive()
    }

    private func started(context: ChannelHandlerContext) {
        guard timer == nil else { return }
        if secure {
            handshakeTimer = schedule(context, after: limits.handshakeDeadline,
                                      "TLS handshake not complete \(Self.text(limits.handshakeDeadline)) after connect")
        }
        timer = schedule(context, after: limits.requestDeadline,
                         "request headers and body not complete \(Self.text(limits.requestDeadline)) after connect")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .idle:
            timer?.cancel()
            timer = schedule(context, after: limits.requestDeadline,
                             "request headers and body not complete \(Self.text(limits.requestDeadline)) after its first byte")
            phase = .reading
        case .handling:
            phase = .handling(nextStarted: true)
        case .reading:
            break
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            handshakeTimer?.cancel()
            handshakeTimer = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? Event else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch event {
        case .requestRead:
            timer?.cancel()
            timer = nil
            phase = .handling(nextStarted: false)
        case .responseWritten:
            timer?.cancel()
            if case .handling(nextStarted: true) = phase {
                // The next (pipelined) request began while this one ran: its clock runs from now.
                phase = .reading
                timer = schedule(context, after: limits.requestDeadline,
                                 "request headers and body not complete \(Self.text(limits.requestDeadline)) after the previous answer")
            } else {
                phase = .idle
                timer = context.eventLoop.assumeIsolated().scheduleTask(in: limits.keepAliveIdle) { context.close(promise: nil) }
            }
        }
        promise?.succeed(())
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        handshakeTimer?.cancel()
        context.fireChannelInactive()
    }

    private func schedule(_ context: ChannelHandlerContext, after delay: TimeAmount, _ reason: String) -> Scheduled<Void> {
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            expired(reason)
            context.close(promise: nil)
        }
    }

    static func text(_ amount: TimeAmount) -> String {
        let ms = amount.nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}
