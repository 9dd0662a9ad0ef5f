import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The admin HTTP port: /healthz, /readyz and /metrics. Small and read-only.
public struct AdminServer: Service {
    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var contentType: String
        public var body: [UInt8]
    }

    public typealias Router = @Sendable (_ method: HTTPMethod, _ path: String) -> Response

    let host: String
    let port: Int
    let router: Router
    let logger: Logger
    let group: any EventLoopGroup
    /// Reports the bound port (useful with port 0).
    let onBound: @Sendable (Int) -> Void

    public init(host: String, port: Int, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                onBound: @escaping @Sendable (Int) -> Void = { _ in }, router: @escaping Router) {
        self.host = host
        self.port = port
        self.router = router
        self.logger = logger
        self.group = group
        self.onBound = onBound
    }

    /// Connections open at once; at the cap a new one closes the oldest.
    static let maxConnections = 64
    /// A connection that sends nothing for this long is closed.
    static let idleTimeout = TimeAmount.seconds(10)
    /// Requests are a line and a few headers: far below NIO's 80 KB default.
    static let decoderLimits: NIOHTTPDecoderLimitConfiguration = {
        var l = NIOHTTPDecoderLimitConfiguration()
        l.maxHeaderFieldSize = 8 * 1024
        l.maxHeaderListSize = 16 * 1024
        l.maxHeaderFieldCount = 64
        return l
    }()

    public func run() async throws {
        let router = self.router
        let connections = AdminConnections(cap: Self.maxConnections)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    connections.admit(channel)
                    return channel.eventLoop.makeCompletedFuture {
                        let ops = channel.pipeline.syncOperations
                        try ops.addHandler(IdleStateHandler(readTimeout: Self.idleTimeout))
                        try ops.configureHTTPServerPipeline(withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
                                                            withDecoderLimitConfiguration: Self.decoderLimits)
                        try ops.addHandler(AdminHandler(router: router))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            throw StartupError("cannot listen on admin address \(host):\(port): \(error); choose another --admin-addr")
        }
        let bound = channel.localAddress?.port ?? port
        onBound(bound)
        logger.info("admin HTTP listening", metadata: ["addr": "\(host):\(bound)"])
        try? await gracefulShutdown()
        try? await channel.close()
    }
}

private final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let router: AdminServer.Router
    private var request: HTTPRequestHead?

    init(router: @escaping AdminServer.Router) { self.router = router }

    /// Nothing read for the idle timeout: the connection goes.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
            let response = router(head.method, path)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: response.contentType)
            headers.add(name: "Content-Length", value: String(response.body.count))
            let keepAlive = head.isKeepAlive
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            let done = context.writeAndFlushPromise()
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            if !keepAlive {
                let ctx = NIOLoopBound(context, eventLoop: context.eventLoop)
                done.futureResult.whenComplete { _ in ctx.value.close(promise: nil) }
            }
        }
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise() }
}
