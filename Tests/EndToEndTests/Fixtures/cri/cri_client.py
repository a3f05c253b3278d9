#!/usr/bin/env python3
"""A minimal client of the Kubernetes container runtime interface (CRI, runtime.v1) for the
tests: the handful of messages they need, encoded by hand in protobuf's wire format (field numbers
from the CRI's api.proto), sent with grpcio's generic unary calls over containerd's socket, as the
kubelet would. Also makes the sandbox ("pause") image of a static program.

  pause-image OUT.tar PROGRAM REFERENCE       an OCI image tar whose entry point is PROGRAM
  containerd-config FOLDER MIRAGE_RUNC NETWORK SUBNET
                                              FOLDER/config.toml and FOLDER/cni/10-mirage.conflist
  version SOCKET                              the runtime's name and version
  run-pod SOCKET NAME HANDLER LOGDIR          RunPodSandbox; prints the sandbox's ID
  start-container SOCKET POD NAME IMAGE PODNAME LOGDIR [ARG...]
                                              CreateContainer and StartContainer; prints its ID
  pod-ip SOCKET POD                           PodSandboxStatus: the pod's IP
  remove-pod SOCKET POD                       StopPodSandbox, then RemovePodSandbox
"""
import hashlib
import io
import json
import os
import sys
import tarfile

import grpc


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_delimited(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def integer(number, value):
    return varint(number << 3) + varint(value)


def decode(data):
    """Fields by number: bytes for length-delimited ones, ints for varints."""
    fields, index = {}, 0
    while index < len(data):
        key, index = read_varint(data, index)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, index = read_varint(data, index)
        elif wire == 2:
            length, index = read_varint(data, index)
            value, index = data[index:index + length], index + length
        elif wire == 1:
            value, index = data[index:index + 8], index + 8
        elif wire == 5:
            value, index = data[index:index + 4], index + 4
        else:
            raise ValueError(f"wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def read_varint(data, index):
    value, shift = 0, 0
    while True:
        byte = data[index]
        index += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, index


def call(socket, method, request):
    with grpc.insecure_channel("unix://" + socket) as channel:
        stub = channel.unary_unary("/runtime.v1.RuntimeService/" + method)
        return decode(stub(request, timeout=120))


def decode_text(fields, number=1):
    """The first string field `number` of a decoded reply."""
    return fields[number][0].decode()


def sandbox_config(name, log_directory, annotations=()):
    # PodSandboxConfig: metadata 1 (name 1, uid 2, namespace 3, attempt 4), hostname 2,
    # log_directory 3, annotations 7 (map entries: key 1, value 2), linux 8 (LinuxPodSandboxConfig, empty).
    metadata = length_delimited(1, name) + length_delimited(2, "uid-" + name) + length_delimited(3, "default") + integer(4, 0)
    entries = b"".join(length_delimited(7, length_delimited(1, key) + length_delimited(2, value))
                       for key, value in (annotation.split("=", 1) for annotation in annotations))
    return (length_delimited(1, metadata) + length_delimited(2, name) + length_delimited(3, log_directory) + entries
            + length_delimited(8, b""))


def pause_image(out, program, reference):
    """An image whose entry point is the static `program`, at /pause."""
    with open(program, "rb") as file:
        binary = file.read()
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        info = tarfile.TarInfo("pause")
        info.size, info.mode, info.mtime = len(binary), 0o755, 0
        archive.addfile(info, io.BytesIO(binary))
    oci_archive(out, layer.getvalue(), ["/pause"], reference)


def oci_archive(out, layer, entrypoint, reference):
    """An OCI image layout tar (for `ctr image import`) of one uncompressed `layer`."""
    blobs = {}

    def blob(data, media_type):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    layer_descriptor = blob(layer, "application/vnd.oci.image.layer.v1.tar")
    config = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Entrypoint": entrypoint},
                              "rootfs": {"type": "layers", "diff_ids": [layer_descriptor["digest"]]}}).encode(),
                  "application/vnd.oci.image.config.v1+json")
    manifest = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                "config": config, "layers": [layer_descriptor]}).encode(), "application/vnd.oci.image.manifest.v1+json")
    manifest["annotations"] = {"io.containerd.image.name": reference, "org.opencontainers.image.ref.name": reference.split(":")[-1]}
    index = json.dumps({"schemaVersion": 2, "manifests": [manifest]}).encode()
    with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index)] + \
                [("blobs/sha256/" + digest[7:], data) for digest, data in blobs.items()]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            archive.addfile(info, io.BytesIO(data))


def containerd_config(folder, mirage_runc, network, subnet):
    """Writes a containerd configuration whose root, state and socket are in `folder`, with the
    CRI plugin: runtime handlers `runc`, `mirage` (`mirage_runc` as BinaryName; declaring one
    handler means declaring runc too) and `mirage-shim` (our own shim, containerd-shim-mirage-v2,
    which containerd finds on its PATH), the sandbox image localhost/mirage-pause:latest,
    restrict_oom_score_adj (no CAP_SYS_RESOURCE in these VMs), the pod annotations that reach
    containers (ours for mirage, and the runc shim's group, which lets pods share one shim), and
    CNI's bridge plugin giving pods addresses of `subnet` on the network `network`
    (docs/kubernetes.md)."""
    os.makedirs(folder + "/cni", exist_ok=True)
    with open(folder + "/config.toml", "w") as file:
        file.write(f"""version = 2
root = "{folder}/root"
state = "{folder}/state"
[grpc]
  address = "{folder}/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/mirage-pause:latest"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{folder}/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      pod_annotations = ["io.containerd.runc.v2.group"]
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.mirage]
      runtime_type = "io.containerd.runc.v2"
      pod_annotations = ["org.swift-mirage.unikernel.*", "io.containerd.runc.v2.group"]
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.mirage.options]
        BinaryName = "{mirage_runc}"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.mirage-shim]
      runtime_type = "io.containerd.mirage.v2"
      pod_annotations = ["org.swift-mirage.unikernel.*"]
""")
    with open(folder + "/cni/10-mirage.conflist", "w") as file:
        json.dump({"cniVersion": "0.4.0", "name": network, "plugins": [
            {"type": "bridge", "bridge": "mirage-cni0", "isGateway": True, "ipMasq": False,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]], "routes": [{"dst": "0.0.0.0/0"}]}},
            {"type": "loopback"}]}, file)


def main(arguments):
    command = arguments[0]
    if command == "pause-image":
        pause_image(*arguments[1:4])
    elif command == "containerd-config":
        containerd_config(*arguments[1:5])
    elif command == "version":
        reply = call(arguments[1], "Version", length_delimited(1, "v1"))
        print(reply[2][0].decode(), reply[3][0].decode(), reply[4][0].decode())
    elif command == "run-pod":
        # run-pod SOCKET NAME HANDLER LOG-DIRECTORY [KEY=VALUE...]: the pod's annotations last.
        socket, name, handler, log_directory = arguments[1:5]
        config = sandbox_config(name, log_directory, arguments[5:])
        reply = call(socket, "RunPodSandbox", length_delimited(1, config) + length_delimited(2, handler))
        print(reply[1][0].decode())
    elif command == "start-container":
        # start-container SOCKET POD NAME IMAGE POD-NAME LOG-DIRECTORY [--pod-annotation=KEY=VALUE...] [ARG...]:
        # the pod's annotations as given to run-pod (the kubelet sends the pod's config again).
        socket, pod, name, image, pod_name, log_directory = arguments[1:7]
        prefix = "--pod-annotation="
        annotations = [argument[len(prefix):] for argument in arguments[7:] if argument.startswith(prefix)]
        # ContainerConfig: metadata 1 (name 1), image 2 (ImageSpec: image 1), args 4, log_path 11.
        container = length_delimited(1, length_delimited(1, name)) + length_delimited(2, length_delimited(1, image))
        for argument in arguments[7:]:
            if not argument.startswith(prefix):
                container += length_delimited(4, argument)
        container += length_delimited(11, name + ".log")
        # CreateContainerRequest: pod_sandbox_id 1, config 2, sandbox_config 3.
        reply = call(socket, "CreateContainer", length_delimited(1, pod) + length_delimited(2, container)
                     + length_delimited(3, sandbox_config(pod_name, log_directory, annotations)))
        container_id = reply[1][0].decode()
        call(socket, "StartContainer", length_delimited(1, container_id))
        print(container_id)
    elif command == "pod-ip":
        # PodSandboxStatusResponse: status 1 (PodSandboxStatus: network 5 (ip 1)).
        reply = call(arguments[1], "PodSandboxStatus", length_delimited(1, arguments[2]))
        status = decode(reply[1][0])
        print(decode(status[5][0])[1][0].decode())
    elif command == "remove-pod":
        call(arguments[1], "StopPodSandbox", length_delimited(1, arguments[2]))
        call(arguments[1], "RemovePodSandbox", length_delimited(1, arguments[2]))
        print("removed")
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except grpc.RpcError as error:
        sys.exit(f"CRI error: {error.code()}: {error.details()}")
