#!/usr/bin/env python3
"""An OPC UA server for the agent's end-to-end tests, built on asyncua
(an independent implementation: pure Python, nothing of ours).

Usage: opcua_server.py PORT URI [SECURE_DIR [certificate-users]]

Namespace URI holds the object Machine with the variables (string node ids)
  Machine.State (String "idle"), Machine.Good (UInt32 0),
  Machine.Temp (Double 20.0), Machine.Axes (Double[3] [0, 0, 0]).
With SECURE_DIR the only endpoint is Basic256Sha256 SignAndEncrypt; the
server's certificate and key are created there (server.der, server.pem).
With certificate-users, sessions are activated only with an X.509 user
certificate, and only with the one created in SECURE_DIR as user.der
(key user.pem); other-user.der (key other-user.pem) is created too and
refused (BadUserAccessDenied).
Commands on stdin, one per line:
  set NAME VALUE   write VALUE (typed as the variable) with status Good   -> "ok"
  bad NAME         status BadSensorFailure, value kept                     -> "ok"
  restart          stop, then start again with one more namespace
                   registered before URI (its index changes)   -> "namespace N", "ready"
  fingerprint      the SHA-256 of the server's certificate   -> "sha256 HEX"
  stop             stop                                                    -> "stopped"
Prints "namespace NS_INDEX" then "ready" when (re)started.
"""

import asyncio
import hashlib
import logging
import sys
from pathlib import Path

from asyncua import Server, ua

logging.basicConfig(level=logging.ERROR)
port, uri = int(sys.argv[1]), sys.argv[2]
secure_dir = Path(sys.argv[3]) if len(sys.argv) > 3 else None
certificate_users = len(sys.argv) > 4 and sys.argv[4] == "certificate-users"
values = {"State": ("idle", ua.VariantType.String), "Good": (0, ua.VariantType.UInt32), "Temp": (20.0, ua.VariantType.Double)}


def say(line):
    print(line, flush=True)


async def certificate(name="server", uri="urn:mes:test:server"):
    from asyncua.crypto.cert_gen import setup_self_signed_certificate
    from cryptography.x509.oid import ExtendedKeyUsageOID

    cert, key = secure_dir / f"{name}.der", secure_dir / f"{name}.pem"
    if not cert.exists():
        await setup_self_signed_certificate(
            key, cert, uri, "127.0.0.1",
            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH], {"commonName": f"mes test {name}"},
        )
    return cert, key


async def certificate_user_manager():
    """Accepts the user certificate user.der only."""
    from asyncua.server.user_managers import CertificateUserManager

    user, _ = await certificate("user", "urn:mes:test:user")
    await certificate("other-user", "urn:mes:test:other-user")
    manager = CertificateUserManager()
    await manager.add_user(user, name="mes")
    return manager


async def start(extra_namespaces):
    server = Server(user_manager=await certificate_user_manager() if certificate_users else None)
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/")
    server.set_server_name("mes test server")
    await server.set_application_uri("urn:mes:test:server")
    if secure_dir is not None:
        cert, key = await certificate()
        await server.load_certificate(str(cert))
        await server.load_private_key(str(key))
        server.set_security_policy([ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt])
        if certificate_users:
            server.set_identity_tokens([ua.X509IdentityToken])
    for i in range(extra_namespaces):
        await server.register_namespace(f"urn:mes:test:other-{i}")
    idx = await server.register_namespace(uri)
    machine = await server.nodes.objects.add_object(ua.NodeId("Machine", idx), "Machine")
    nodes = {}
    for name, (value, vtype) in values.items():
        nodes[name] = await machine.add_variable(ua.NodeId(f"Machine.{name}", idx), name, ua.Variant(value, vtype))
    nodes["Axes"] = await machine.add_variable(
        ua.NodeId("Machine.Axes", idx), "Axes", ua.Variant([0.0, 0.0, 0.0], ua.VariantType.Double)
    )
    await server.start()
    say(f"namespace {idx}")
    say("ready")
    return server, nodes


async def main():
    extra = 0
    server, nodes = await start(extra)
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        words = line.split()
        if not words:
            continue
        if words[0] == "set":
            name, raw = words[1], words[2]
            node = nodes[name]
            if name == "Axes":
                variant = ua.Variant([float(x) for x in raw.split(",")], ua.VariantType.Double)
            else:
                vtype = values[name][1]
                value = raw if vtype == ua.VariantType.String else (int(raw) if vtype == ua.VariantType.UInt32 else float(raw))
                variant = ua.Variant(value, vtype)
                values[name] = (value, vtype)
            await server.write_attribute_value(node.nodeid, ua.DataValue(variant))
            say("ok")
        elif words[0] == "bad":
            node = nodes[words[1]]
            current = await node.read_data_value(raise_on_bad_status=False)
            await server.write_attribute_value(
                node.nodeid, ua.DataValue(current.Value, StatusCode=ua.StatusCode(ua.StatusCodes.BadSensorFailure))
            )
            say("ok")
        elif words[0] == "restart":
            await server.stop()
            extra += 1
            server, nodes = await start(extra)
        elif words[0] == "fingerprint":
            say(f"sha256 {hashlib.sha256((secure_dir / 'server.der').read_bytes()).hexdigest()}")
        elif words[0] == "stop":
            await server.stop()
            say("stopped")
            break
        else:
            say(f"unknown command {words[0]}")


asyncio.run(main())
