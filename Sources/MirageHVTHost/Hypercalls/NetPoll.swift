import CMirageHVTABI

extension HypercallHandler {
    /// Serves `MIRAGE_HVT_NET_POLL` (mirage_hvt_abi.h): sends each queue's frames, receives the
    /// frames waiting into each queue's receive area, and when none came waits as the poll
    /// hypercall does, then receives for the devices that became ready. One VM exit for what would
    /// otherwise be a write per frame, a poll and a read per frame.
    ///
    /// Every address the guest gives (the queue array, each description, each frame, each receive
    /// area) is checked against guest memory before it is touched; one outside ends the guest as
    /// crashed, as for the other calls. A queue naming a device that is not a net device, or with
    /// more than `MIRAGE_HVT_NET_QUEUE_MAX` frames either way, comes back INVALID, untouched.
    func netPoll(_ argument: UInt64) -> Outcome {
        guard let request = memory.withStruct(mirage_hvt_net_poll.self, at: argument, { $0.pointee }) else {
            return .crash(badArgument("net poll", argument))
        }
        let stride = UInt64(MemoryLayout<mirage_hvt_net_queue>.stride)
        guard request.queue_count <= UInt64(MIRAGE_HVT_MAX_DEVICES),
              memory.contains(address: request.queues, length: request.queue_count * stride) else {
            return .crash("the guest passed \(request.queue_count) net queues at 0x\(String(request.queues, radix: 16)): "
                + "more than \(MIRAGE_HVT_MAX_DEVICES), or outside its memory")
        }
        let queues = (0..<request.queue_count).lazy.map { request.queues + $0 * stride }  // no array per exit
        var received: UInt64 = 0
        for address in queues {
            let outcome = memory.withStruct(mirage_hvt_net_queue.self, at: address) { queue -> Outcome in
                let outcome = sendFrames(of: queue)
                guard outcome == .resume, queue.pointee.status == MIRAGE_HVT_OK.rawValue else { return outcome }
                return receiveFrames(into: queue, receivedDevices: &received)
            }
            guard let outcome else { return .crash(badArgument("net queue", address)) }
            guard outcome == .resume else { return outcome }
        }
        let interest = request.poll.ready & ~MIRAGE_HVT_POLL_STOP_REQUESTED
        // Frames came: only a check (for a stop request and the other devices). Else wait.
        var ready = events.wait(until: received != 0 ? 0 : request.poll.deadline, interest: interest)
        if received == 0, ready & ~MIRAGE_HVT_POLL_STOP_REQUESTED != 0 {
            for address in queues {
                let outcome = memory.withStruct(mirage_hvt_net_queue.self, at: address) { queue -> Outcome in
                    let device = UInt64(queue.pointee.device)
                    guard device < 64, ready & (1 << device) != 0, queue.pointee.status == MIRAGE_HVT_OK.rawValue else { return .resume }
                    return receiveFrames(into: queue, receivedDevices: &received)
                }
                guard let outcome else { return .crash(badArgument("net queue", address)) }
                guard outcome == .resume else { return outcome }
            }
        }
        ready |= received
        _ = memory.withStruct(mirage_hvt_net_poll.self, at: argument) { $0.pointee.poll.ready = ready }
        return .resume
    }

    /// Checks a queue's device and counts, then sends its frames in order, each with its status.
    /// Leaves the queue's status INVALID (nothing sent) for a bad device or count, IO_ERROR when
    /// the tap failed (the frames after it are not tried).
    private func sendFrames(of queue: UnsafeMutablePointer<mirage_hvt_net_queue>) -> Outcome {
        queue.pointee.received = 0
        queue.pointee.more = 0
        let (sendCount, receiveCount) = (UInt64(queue.pointee.send_count), UInt64(queue.pointee.receive_count))
        guard let backend = nets[Int(queue.pointee.device)],
              sendCount <= UInt64(MIRAGE_HVT_NET_QUEUE_MAX), receiveCount <= UInt64(MIRAGE_HVT_NET_QUEUE_MAX) else {
            queue.pointee.status = MIRAGE_HVT_INVALID.rawValue
            return .resume
        }
        let frames = queue.pointee.frames
        let size = UInt64(MemoryLayout<mirage_hvt_net_frame>.stride)
        guard memory.contains(address: frames, length: (sendCount + receiveCount) * size) else {
            return .crash("the guest described \(sendCount + receiveCount) net frames at 0x\(String(frames, radix: 16)), outside its memory")
        }
        queue.pointee.status = MIRAGE_HVT_OK.rawValue
        for index in 0..<sendCount {
            let address = frames + index * size
            let outcome = memory.withStruct(mirage_hvt_net_frame.self, at: address) { frame -> Outcome in
                guard queue.pointee.status == MIRAGE_HVT_OK.rawValue else {
                    frame.pointee.status = MIRAGE_HVT_IO_ERROR.rawValue
                    return .resume
                }
                let (data, length) = (frame.pointee.data, UInt64(frame.pointee.length))
                guard let bytes = memory.range(at: data, length: length) else {
                    return .crash("the guest asked to send a frame of \(length) bytes at 0x\(String(data, radix: 16)), outside its memory")
                }
                let status = withUnsafeMutableBytes(of: &frame.pointee.header) { header in
                    backend.write(UnsafeRawBufferPointer(bytes), header: backend.passesHeaders ? UnsafeRawBufferPointer(header) : nil)
                }
                frame.pointee.status = status.rawValue
                if status == MIRAGE_HVT_IO_ERROR { queue.pointee.status = status.rawValue }
                return .resume
            }
            guard let outcome else { return .crash(badArgument("net frame", address)) }
            guard outcome == .resume else { return outcome }
        }
        return .resume
    }

    /// Receives the frames waiting on a queue's device into its receive area, one after another
    /// at multiples of 16 bytes, describing each after the frames sent; sets `more` when frames
    /// still wait, and the device's bit in `receivedDevices` when one came. (Called a second time
    /// only when the first found nothing.)
    ///
    /// Every field of the queue is read again and checked again here: the queue lies in guest
    /// memory, and frames received for an earlier queue may have been written over it (a guest
    /// can make its receive area overlap a later queue's description).
    private func receiveFrames(into queue: UnsafeMutablePointer<mirage_hvt_net_queue>, receivedDevices: inout UInt64) -> Outcome {
        let limit = Int(queue.pointee.receive_count)
        var count = 0
        guard limit > 0, let backend = nets[Int(queue.pointee.device)] else { return .resume }
        let size = UInt64(MemoryLayout<mirage_hvt_net_frame>.stride)
        let (frames, sendCount) = (queue.pointee.frames, UInt64(queue.pointee.send_count))
        guard limit <= Int(MIRAGE_HVT_NET_QUEUE_MAX), sendCount <= UInt64(MIRAGE_HVT_NET_QUEUE_MAX),
              memory.contains(address: frames, length: (sendCount + UInt64(limit)) * size) else {
            return .crash("the guest described \(sendCount) + \(limit) net frames at 0x\(String(frames, radix: 16)): "
                + "more than \(MIRAGE_HVT_NET_QUEUE_MAX) either way, or outside its memory")
        }
        let (areaAddress, areaLength) = (queue.pointee.area, queue.pointee.area_length)
        guard let area = memory.range(at: areaAddress, length: areaLength) else {
            return .crash("the guest gave a receive area of \(areaLength) bytes at 0x\(String(areaAddress, radix: 16)), outside its memory")
        }
        // Inside guest memory, which ends below 2^64 by far: no sum below can wrap.
        let first = frames + sendCount * size
        var offset = 0
        var more = false
        while count < limit {
            offset = (offset + 15) & ~15
            guard offset < area.count else {
                more = true
                break
            }
            let address = first + UInt64(count) * size
            let room = UnsafeMutableRawBufferPointer(rebasing: area[offset...])
            let result = memory.withStruct(mirage_hvt_net_frame.self, at: address) { frame in
                withUnsafeMutableBytes(of: &frame.pointee.header) { header in
                    let result = backend.receive(into: room, header: backend.passesHeaders ? header : nil)
                    if case let .frame(length) = result {
                        frame.pointee.data = areaAddress + UInt64(offset)
                        frame.pointee.length = UInt32(length)
                        frame.pointee.status = MIRAGE_HVT_OK.rawValue
                        if !backend.passesHeaders { header.initializeMemory(as: UInt8.self, repeating: 0) }
                    }
                    return result
                }
            }
            guard let result else { return .crash(badArgument("net frame", address)) }
            switch result {
            case let .frame(length):
                count += 1
                offset += length
                continue
            case .none: break
            case .noRoom: more = true
            case .failed: queue.pointee.status = MIRAGE_HVT_IO_ERROR.rawValue
            }
            break
        }
        if count == limit, !more { more = backend.holdsFrame || backend.hasWaitingFrame }
        if count > 0 { receivedDevices |= 1 << UInt64(queue.pointee.device) }
        queue.pointee.received = UInt16(count)
        queue.pointee.more = more ? 1 : 0
        return .resume
    }
}
