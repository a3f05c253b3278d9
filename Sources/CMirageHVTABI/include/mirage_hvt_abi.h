// The interface between the mirage-hvt tender and a swift-mirage guest: guest memory layout, boot
// information, hypercall numbers and argument structures. The one definition of the ABI: the
// tender (hosted Swift) and the guest (Embedded Swift and its C support) both import this header.
//
// A hypercall is a 64-bit store of the guest-physical address of its argument structure to
// MIRAGE_HVT_HYPERCALL_BASE + 8 * number. That address is not backed by guest memory, so the store
// exits to the tender as KVM_EXIT_MMIO (PVM runs the guest at CPL3, where port I/O faults; on
// hardware VMX/SVM KVM the same store works). The tender checks every guest address and length
// against guest memory before it touches them.
#ifndef MIRAGE_HVT_ABI_H
#define MIRAGE_HVT_ABI_H

#include <stdint.h>

/// Version 2 removed the one-frame net calls (8 and 9, MIRAGE_HVT_NET_READ and _WRITE). Version 3
/// added the net rings (MIRAGE_HVT_NET_RINGS and MIRAGE_HVT_NET_KICK): frames travel through
/// shared memory, moved by a thread of the tender, without a VM exit per round. Version 4 removed
/// the net poll call the rings replaced (11, MIRAGE_HVT_NET_POLL). Version 5 added the block ring
/// (MIRAGE_HVT_BLOCK_RING): block requests through shared memory, served by the same thread. A guest carries the version it speaks in its
/// MIRAGE_HVT_ABI_SECTION, which the tender checks before it runs the image; the tender also
/// writes its own into the boot information, which the guest checks.
#define MIRAGE_HVT_ABI_VERSION 5

/// The name of the ELF section holding the ABI version an image speaks: one little-endian
/// uint64_t, MIRAGE_HVT_ABI_VERSION when it was built. The guest's C support defines it.
#define MIRAGE_HVT_ABI_SECTION ".mirage.abi"

// Guest-physical layout, identity-mapped (virtual = physical).
#define MIRAGE_HVT_PAGE_TABLES 0x1000ULL      // PML4, PDPT, then four page directories (2 MiB pages)
#define MIRAGE_HVT_BOOT_INFO 0x7000ULL        // struct mirage_hvt_boot_info
#define MIRAGE_HVT_COMMAND_LINE 0x8000ULL     // boot arguments, each NUL-terminated
#define MIRAGE_HVT_COMMAND_LINE_MAX 0x8000ULL // 32 KiB
#define MIRAGE_HVT_IMAGE_BASE 0x100000ULL     // the lowest address an ELF segment may load at
#define MIRAGE_HVT_HYPERCALL_BASE 0xC0000000ULL
#define MIRAGE_HVT_MAX_MEMORY 0xC0000000ULL   // guest memory ends below the hypercall addresses
#define MIRAGE_HVT_STACK_SIZE 0x100000ULL     // the top of memory is the stack; the heap ends below it

enum mirage_hvt_hypercall {
    MIRAGE_HVT_WALL_CLOCK = 1,   // struct mirage_hvt_time: nanoseconds since the Unix epoch
    MIRAGE_HVT_MONOTONIC = 2,    // struct mirage_hvt_time: nanoseconds of CLOCK_MONOTONIC
    MIRAGE_HVT_CONSOLE = 3,      // struct mirage_hvt_console_write
    MIRAGE_HVT_POLL = 4,         // struct mirage_hvt_poll
    MIRAGE_HVT_BLOCK_READ = 5,   // struct mirage_hvt_block_io
    MIRAGE_HVT_BLOCK_WRITE = 6,  // struct mirage_hvt_block_io
    MIRAGE_HVT_BLOCK_FLUSH = 7,  // struct mirage_hvt_block_io (device only)
                                 // 8 and 9: the one-frame net calls of ABI version 1, gone
    MIRAGE_HVT_HALT = 10,        // struct mirage_hvt_halt
                                 // 11: the net poll call of ABI version 3, gone
    MIRAGE_HVT_NET_RINGS = 12,   // struct mirage_hvt_net_rings_setup
    MIRAGE_HVT_NET_KICK = 13,    // no argument (the value stored is ignored): wakes the I/O
                                 // thread for every ring, the block rings' too
    MIRAGE_HVT_BLOCK_RING = 14,  // struct mirage_hvt_block_ring_setup
    MIRAGE_HVT_HYPERCALL_COUNT = 15,
};

/// Results a hypercall leaves in its `status` field.
enum mirage_hvt_status {
    MIRAGE_HVT_OK = 0,
    MIRAGE_HVT_AGAIN = 1,        // net send: the host had no room (the frame was not sent)
    MIRAGE_HVT_INVALID = 2,      // a bad device, range or length
    MIRAGE_HVT_IO_ERROR = 3,     // the host's file or tap failed
    MIRAGE_HVT_UNSUPPORTED = 4,  // e.g. writing a read-only block device
};

enum mirage_hvt_device_kind {
    MIRAGE_HVT_DEVICE_BLOCK = 1,
    MIRAGE_HVT_DEVICE_NET = 2,
};

#define MIRAGE_HVT_MAX_DEVICES 16
#define MIRAGE_HVT_DEVICE_NAME_MAX 40

/// A device the tender attached, in the order of the image's device manifest.
struct mirage_hvt_device {
    uint32_t kind;                 // enum mirage_hvt_device_kind
    union {
        uint32_t writable;         // block: 1 when writes are allowed
        uint32_t flags;            // net: MIRAGE_HVT_NET_HEADERS when the tender passes
                                   // virtio-net headers (in struct mirage_hvt_net_frame)
    };
    char name[MIRAGE_HVT_DEVICE_NAME_MAX]; // NUL-terminated, as in --block:NAME=FILE
    uint64_t sector_size;          // block
    uint64_t sector_count;         // block
    uint8_t mac[8];                // net: the guest's address, in the first 6 bytes
    uint64_t mtu;                  // net: the tap interface's MTU (payload bytes after the
                                   // Ethernet header); frames are at most mtu + 18 bytes
};

/// What the tender tells the guest at MIRAGE_HVT_BOOT_INFO; the entry point gets its address in RDI.
struct mirage_hvt_boot_info {
    uint64_t abi_version;          // MIRAGE_HVT_ABI_VERSION
    uint64_t memory_size;          // bytes of guest memory, from address 0
    uint64_t heap_start;           // first free byte after the image, page-aligned
    uint64_t heap_end;             // the heap ends here; the stack is above
    uint64_t command_line;         // guest address of argument_count NUL-terminated strings
    uint64_t command_line_length;  // bytes used there
    uint64_t argument_count;       // boot arguments, without a program name
    uint64_t entropy_seed[4];      // random bits from the host, to seed the guest's generator
    uint64_t device_count;
    struct mirage_hvt_device devices[MIRAGE_HVT_MAX_DEVICES];
    uint64_t tsc_frequency;        // ticks per second of the time-stamp counter (RDTSC) when the
                                   // host's is invariant, so the guest can keep CLOCK_MONOTONIC
                                   // without a hypercall per reading; 0: use MIRAGE_HVT_MONOTONIC.
                                   // After the device table, so a guest on a tender that
                                   // predates it reads 0.
    uint64_t poll_spin_ns;         // the longest the guest keeps looking at its net rings, without
                                   // a VM exit, before it sleeps in MIRAGE_HVT_POLL (mirage-hvt
                                   // --poll-spin; the guest adapts its spin below it): a frame
                                   // that comes in that time costs no exit and no wake-up.
                                   // 0: sleep at once (and a tender that predates it).
    uint64_t clock_anchor_ticks;   // the guest's time-stamp counter and the host's CLOCK_MONOTONIC
    uint64_t clock_anchor_ns;      // (nanoseconds), read together by the tender before the guest
                                   // runs, when tsc_frequency is given: the guest's monotonic
                                   // clock starts from them, without the MIRAGE_HVT_MONOTONIC
                                   // hypercall (a VM exit) its first reading would otherwise make.
                                   // 0: anchor at the first reading (and a tender that predates it).
    uint64_t clock_anchor_wall_ns; // the host's CLOCK_REALTIME (nanoseconds since the Unix epoch)
                                   // at clock_anchor_ns: the guest's wall clock is its monotonic
                                   // clock plus their difference, read again with
                                   // MIRAGE_HVT_WALL_CLOCK once a second, so the first log line's
                                   // time costs no VM exit. 0: none (as with clock_anchor_ns).
};
_Static_assert(sizeof(struct mirage_hvt_boot_info) <= MIRAGE_HVT_COMMAND_LINE - MIRAGE_HVT_BOOT_INFO,
               "the boot information fits below the command line");

struct mirage_hvt_time {
    uint64_t nanoseconds;          // out
};

struct mirage_hvt_console_write {
    uint64_t data;                 // guest address
    uint64_t length;
};

struct mirage_hvt_poll {
    uint64_t deadline;             // in: monotonic nanoseconds; the tender returns by then, at
                                   // once when it has passed (a check without waiting)
    uint64_t ready;                // in: bit n set for each net device n the guest waits for
                                   // (or block device n, in the block ring);
                                   // out: bit n set for those of them with frames to read (or
                                   // an error to report, or every request served), and
                                   // MIRAGE_HVT_POLL_STOP_REQUESTED when
                                   // the host asked the unikernel to stop (SIGINT or SIGTERM to
                                   // the tender). The tender returns early only for these.
};

#define MIRAGE_HVT_POLL_STOP_REQUESTED (1ULL << 63)

struct mirage_hvt_block_io {
    uint32_t device;               // index in boot_info.devices
    uint32_t status;               // out: enum mirage_hvt_status
    uint64_t sector;
    uint64_t data;                 // guest address
    uint64_t length;               // bytes, a whole number of sectors
};

/// A net device's flag in its table entry: the tender exchanges frames with the tap interface
/// together with their virtio-net headers, so the guest may take and give the kernel's offloads.
/// At the first frame either way on such a device the tender offers the kernel's offloads on the
/// tap (TUNSETOFFLOAD with partial checksums and TCP/IPv4 segmentation): received frames may then
/// be TCP segments of up to 64 KiB, and frames sent may ask for segmentation.
#define MIRAGE_HVT_NET_HEADERS 1u

/// A frame in a net ring slot (below): one frame the guest sends, or one the tender received.
struct mirage_hvt_net_frame {
    uint64_t data;                 // guest address: send: from the guest; receive: from the
                                   // tender, inside the receive area
    uint32_t length;               // the frame's size
    uint32_t status;               // receive: OK; send: unused. A frame to send must be at least
                                   // an Ethernet header and at most mtu + 18 bytes (65,535 + 14
                                   // when its header asks for segmentation); the tender counts
                                   // one that is not in `dropped` and does not send it (one
                                   // outside guest memory or over 65,549 bytes ends the guest)
    uint8_t header[10];            // struct virtio_net_hdr, for a device with MIRAGE_HVT_NET_HEADERS:
                                   // send: from the guest; receive: from the tender (zero for
                                   // other devices)
    uint8_t reserved[6];
};

/// Net rings (version 3): a guest hands a net device to the tender's I/O thread once, with
/// MIRAGE_HVT_NET_RINGS, giving it a page-aligned region of its memory that holds a struct
/// mirage_hvt_net_rings and, after it, the receive area. From then on frames travel without VM
/// exits: the guest puts frames to send in the transmit ring, the I/O thread writes them to the
/// tap; the I/O thread reads frames from the tap into the receive area and describes them in the
/// receive ring, which the guest reads. MIRAGE_HVT_POLL reports the device ready when its receive
/// ring holds frames (or its status is not OK).
///
/// Each ring has one producer and one consumer. The producer fills slot `produced % SLOTS`, then
/// stores `produced + 1` (a release store; the consumer loads it with acquire); the consumer reads
/// the slots before `produced` and stores how many it has taken in `consumed`. Slots between
/// `consumed` and `produced` belong to the consumer; the others to the producer.
///
/// Waking (the VM exits only to sleep): a consumer about to sleep sets its ring's
/// `consumer_waiting`, then (after a full fence) looks at `produced` once more; a producer, after
/// storing `produced` and a full fence, wakes a consumer that waits. A producer that found no room
/// sets `producer_waiting` the same way, and the consumer wakes it after taking slots. The guest
/// wakes the I/O thread with MIRAGE_HVT_NET_KICK, a store the kernel turns into an eventfd signal
/// without leaving it (KVM_IOEVENTFD), and need not kick before MIRAGE_HVT_POLL, which wakes the
/// I/O thread for rings that ask; the I/O thread wakes a guest waiting in MIRAGE_HVT_POLL.
///
/// The tender checks every slot the guest fills when it reads it (the frame must lie in guest
/// memory, its length within the limits of struct mirage_hvt_net_frame) and every `consumed` the
/// guest stores (never past `produced`); a guest that breaks either ends as crashed (exit 70).
#define MIRAGE_HVT_RING_SLOTS 256u
/// The receive area after the rings: room for several of the longest frames (a 64 KiB segment).
#define MIRAGE_HVT_NET_RECEIVE_AREA (256u * 1024u)

struct mirage_hvt_ring {
    uint32_t produced;             // written by the producer only
    uint32_t producer_waiting;     // the producer found the ring full and waits for room
    uint32_t producer_idle;        // transmit ring: the guest has taken every frame given it and
                                   // has no work left, so sends nothing until more come (a hint
                                   // the I/O thread's --io-spin reads; zero: it may be working)
    uint8_t producer_line[52];     // the two sides' fields on cache lines of their own
    uint32_t consumed;             // written by the consumer only
    uint32_t consumer_waiting;     // the consumer sleeps until produced moves
    uint8_t consumer_line[56];
    struct mirage_hvt_net_frame slots[MIRAGE_HVT_RING_SLOTS];
                                   // transmit: data, length and header from the guest (status
                                   // unused); receive: data (a guest address inside the receive
                                   // area), length and header from the tender, status OK
};

struct mirage_hvt_net_rings {
    struct mirage_hvt_ring transmit; // the guest produces, the tender's I/O thread consumes
    struct mirage_hvt_ring receive;  // the I/O thread produces, the guest consumes
    uint32_t status;               // written by the tender: OK, or IO_ERROR once the tap failed
    uint32_t reserved;
    uint64_t dropped;              // written by the tender: frames it could not send (the tap had
                                   // no room, or a frame was malformed) or had to drop on receipt
    uint8_t tail[48];
    // the receive area follows (MIRAGE_HVT_NET_RECEIVE_AREA bytes)
};

/// The transmit ring of `rings`, in place (Embedded Swift has no key paths to take its offset).
static inline struct mirage_hvt_ring *mirage_hvt_net_rings_transmit(struct mirage_hvt_net_rings *rings) {
    return &rings->transmit;
}
/// The receive ring of `rings`, in place.
static inline struct mirage_hvt_ring *mirage_hvt_net_rings_receive(struct mirage_hvt_net_rings *rings) {
    return &rings->receive;
}

/// The ring fields both sides write, with the ordering the protocol needs: loads acquire,
/// stores release, and a full fence between publishing and looking at the other side's
/// waiting flag (store-load order, which x86 keeps only with a fence).
static inline uint32_t mirage_hvt_ring_produced(const struct mirage_hvt_ring *ring) {
    return __atomic_load_n(&ring->produced, __ATOMIC_ACQUIRE);
}
static inline void mirage_hvt_ring_set_produced(struct mirage_hvt_ring *ring, uint32_t value) {
    __atomic_store_n(&ring->produced, value, __ATOMIC_RELEASE);
}
static inline uint32_t mirage_hvt_ring_consumed(const struct mirage_hvt_ring *ring) {
    return __atomic_load_n(&ring->consumed, __ATOMIC_ACQUIRE);
}
static inline void mirage_hvt_ring_set_consumed(struct mirage_hvt_ring *ring, uint32_t value) {
    __atomic_store_n(&ring->consumed, value, __ATOMIC_RELEASE);
}
static inline uint32_t mirage_hvt_ring_producer_waiting(const struct mirage_hvt_ring *ring) {
    return __atomic_load_n(&ring->producer_waiting, __ATOMIC_ACQUIRE);
}
static inline void mirage_hvt_ring_set_producer_waiting(struct mirage_hvt_ring *ring, uint32_t value) {
    __atomic_store_n(&ring->producer_waiting, value, __ATOMIC_RELEASE);
}
static inline uint32_t mirage_hvt_ring_producer_idle(const struct mirage_hvt_ring *ring) {
    return __atomic_load_n(&ring->producer_idle, __ATOMIC_ACQUIRE);
}
static inline void mirage_hvt_ring_set_producer_idle(struct mirage_hvt_ring *ring, uint32_t value) {
    __atomic_store_n(&ring->producer_idle, value, __ATOMIC_RELEASE);
}
static inline uint32_t mirage_hvt_ring_consumer_waiting(const struct mirage_hvt_ring *ring) {
    return __atomic_load_n(&ring->consumer_waiting, __ATOMIC_ACQUIRE);
}
static inline void mirage_hvt_ring_set_consumer_waiting(struct mirage_hvt_ring *ring, uint32_t value) {
    __atomic_store_n(&ring->consumer_waiting, value, __ATOMIC_RELEASE);
}
static inline void mirage_hvt_ring_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
/// Slot `count % MIRAGE_HVT_RING_SLOTS`.
static inline struct mirage_hvt_net_frame *mirage_hvt_ring_slot(struct mirage_hvt_ring *ring, uint32_t count) {
    return &ring->slots[count % MIRAGE_HVT_RING_SLOTS];
}

struct mirage_hvt_net_rings_setup {
    uint32_t device;               // index in boot_info.devices
    uint32_t status;               // out: OK; INVALID for a device that is not a net device, or
                                   // one already handed over
    uint64_t region;               // guest address, page-aligned
    uint64_t region_length;        // at least sizeof(struct mirage_hvt_net_rings) +
                                   // MIRAGE_HVT_NET_RECEIVE_AREA
};

/// A request in a block ring slot (below), as the block calls' struct mirage_hvt_block_io.
struct mirage_hvt_block_request {
    uint32_t operation;            // from the guest: MIRAGE_HVT_BLOCK_READ, _WRITE or _FLUSH (the
                                   // numbers of the calls it stands for)
    uint32_t status;               // from the tender, before it counts the request served:
                                   // enum mirage_hvt_status, as the calls'
    uint64_t sector;               // from the guest
    uint64_t data;                 // from the guest: the address of the bytes to read into or write
    uint64_t length;               // from the guest: bytes, a whole number of sectors (a flush: 0)
};

/// Block ring (version 5): a guest hands a block device to the tender's I/O thread once, with
/// MIRAGE_HVT_BLOCK_RING, giving it a page-aligned region of its memory holding a struct
/// mirage_hvt_block_ring. From then on a request costs no VM exit: the guest fills slot
/// `submitted % MIRAGE_HVT_BLOCK_RING_SLOTS` and stores `submitted + 1` (a release store); the I/O
/// thread serves the requests in order, writes each one's status, and stores how many it has
/// served in `completed` (release). A request's bytes are the tender's from its submission until
/// `completed` passes it.
///
/// Waking: the I/O thread about to sleep sets `tender_sleeping`, then (after a full fence) looks
/// at `submitted` once more; the guest, after storing `submitted` and a full fence, kicks it
/// (MIRAGE_HVT_NET_KICK) when it sleeps. A guest about to sleep in MIRAGE_HVT_POLL until its
/// requests are served sets `guest_waiting`, then (after a full fence) looks at `completed` once
/// more, and sets the device's bit in the poll's `ready`: the poll reports the device ready once
/// `completed` equals `submitted`. The I/O thread, after storing `completed` and a full fence,
/// wakes a guest that waits.
///
/// The tender reads each slot once, checks the bytes against guest memory (outside it, the guest
/// ends as crashed, exit 70) and the range against the device (INVALID, as the calls answer), and
/// never takes `submitted` more than MIRAGE_HVT_BLOCK_RING_SLOTS ahead of `completed` (the guest
/// ends as crashed).
#define MIRAGE_HVT_BLOCK_RING_SLOTS 64u

struct mirage_hvt_block_ring {
    uint32_t submitted;            // written by the guest only
    uint32_t guest_waiting;        // written by the guest: it sleeps until `completed` moves
    uint8_t guest_line[56];        // the two sides' fields on cache lines of their own
    uint32_t completed;            // written by the tender only
    uint32_t tender_sleeping;      // written by the tender: a guest that submits must kick
    uint8_t tender_line[56];
    struct mirage_hvt_block_request slots[MIRAGE_HVT_BLOCK_RING_SLOTS];
};

static inline uint32_t mirage_hvt_block_ring_submitted(const struct mirage_hvt_block_ring *ring) {
    return __atomic_load_n(&ring->submitted, __ATOMIC_ACQUIRE);
}
static inline void mirage_hvt_block_ring_set_submitted(struct mirage_hvt_block_ring *ring, uint32_t value) {
    __atomic_store_n(&ring->submitted, value, __ATOMIC_RELEASE);
}
static inline uint32_t mirage_hvt_block_ring_completed(const struct mirage_hvt_block_ring *ring) {
    return __atomic_load_n(&ring->completed, __ATOMIC_ACQUIRE);
}
static inline void mirage_hvt_block_ring_set_completed(struct mirage_hvt_block_ring *ring, uint32_t value) {
    __atomic_store_n(&ring->completed, value, __ATOMIC_RELEASE);
}
static inline uint32_t mirage_hvt_block_ring_guest_waiting(const struct mirage_hvt_block_ring *ring) {
    return __atomic_load_n(&ring->guest_waiting, __ATOMIC_ACQUIRE);
}
static inline void mirage_hvt_block_ring_set_guest_waiting(struct mirage_hvt_block_ring *ring, uint32_t value) {
    __atomic_store_n(&ring->guest_waiting, value, __ATOMIC_RELEASE);
}
static inline uint32_t mirage_hvt_block_ring_tender_sleeping(const struct mirage_hvt_block_ring *ring) {
    return __atomic_load_n(&ring->tender_sleeping, __ATOMIC_ACQUIRE);
}
static inline void mirage_hvt_block_ring_set_tender_sleeping(struct mirage_hvt_block_ring *ring, uint32_t value) {
    __atomic_store_n(&ring->tender_sleeping, value, __ATOMIC_RELEASE);
}
/// Slot `count % MIRAGE_HVT_BLOCK_RING_SLOTS`.
static inline struct mirage_hvt_block_request *mirage_hvt_block_ring_slot(struct mirage_hvt_block_ring *ring, uint32_t count) {
    return &ring->slots[count % MIRAGE_HVT_BLOCK_RING_SLOTS];
}

struct mirage_hvt_block_ring_setup {
    uint32_t device;               // index in boot_info.devices
    uint32_t status;               // out: OK; INVALID for a device that is not a block device, or
                                   // one already handed over (its requests then go by the calls)
    uint64_t region;               // guest address, page-aligned
    uint64_t region_length;        // at least sizeof(struct mirage_hvt_block_ring)
};

struct mirage_hvt_halt {
    int32_t status;                // the tender's exit status
    uint32_t reserved;
};

/// The name of the ELF section listing the devices an image needs, one `block:NAME` or `net:NAME`
/// per line; the tender refuses to start when its command line attaches other devices.
#define MIRAGE_HVT_MANIFEST_SECTION ".mirage.devices"

#endif
