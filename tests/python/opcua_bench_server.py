#!/usr/bin/env python3
"""An OPC UA server for bench-opcua, built on asyncua (an independent
implementation: pure Python, nothing of ours). It changes many variables
at a rate and counts, itself, what it produced and what it notified.

Usage: opcua_bench_server.py PORT URI SLOW SLOW_HZ FAST FAST_HZ

Namespace URI holds the object Bench with SLOW Double variables Bench.S<i>
changing SLOW_HZ times a second and FAST variables Bench.F<i> changing
FAST_HZ times a second (string node ids, i from 0). The changes are spread
over ticks of 10 ms, each changing the variables whose turn it is, so the
load is even rather than one burst a second.
Commands on stdin, one per line:
  start     start changing values                                  -> "ok"
  report    "report produced=P notified=N elapsed=S late=L items=M":
            changes written (P) and data-change notifications handed to
            client subscriptions in publish responses (N) since start,
            seconds since start, ticks that began more than a tick late
            (L), and the monitored items of every subscription now (M)
  pause     stop changing values (the counts keep)                  -> "ok"
  stop      stop                                                    -> "stopped"
Prints "namespace NS_INDEX" then "ready" when started.
"""

import asyncio
import logging
import sys
import time

from asyncua import Server, ua
from asyncua.server.internal_subscription import InternalSubscription

logging.basicConfig(level=logging.ERROR)
port, uri = int(sys.argv[1]), sys.argv[2]
slow, slow_hz, fast, fast_hz = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
TICK = 0.01
PER_OBJECT = 100
counts = {"produced": 0, "notified": 0}

# The server's own count of data-change notifications sent to clients:
# every publish result of a client's subscription passes here.
_pop = InternalSubscription._pop_triggered_datachanges


def _counting_pop(self, result):
    _pop(self, result)
    if self.pub_request_callback is not None:
        for notif in result.NotificationMessage.NotificationData:
            items = getattr(notif, "MonitoredItems", None)
            if items:
                counts["notified"] += len(items)


InternalSubscription._pop_triggered_datachanges = _counting_pop


def variable(parent, nodeid, name):
    """An AddNodesItem for a Double variable (what Node.add_variable makes)."""
    item = ua.AddNodesItem()
    item.RequestedNewNodeId = nodeid
    item.BrowseName = ua.QualifiedName(name, nodeid.NamespaceIndex)
    item.NodeClass = ua.NodeClass.Variable
    item.ParentNodeId = parent
    item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasComponent)
    item.TypeDefinition = ua.NodeId(ua.ObjectIds.BaseDataVariableType)
    attrs = ua.VariableAttributes()
    attrs.DisplayName = ua.LocalizedText(name)
    attrs.DataType = ua.NodeId(ua.ObjectIds.Double)
    attrs.Value = ua.Variant(0.0, ua.VariantType.Double)
    attrs.ValueRank = ua.ValueRank.Scalar
    attrs.AccessLevel = ua.AccessLevel.CurrentRead.mask
    attrs.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
    item.NodeAttributes = attrs
    return item


def say(line):
    print(line, flush=True)


async def changer(server, groups, started):
    """Each tick, the variables of every group whose turn it is get a new
    value: a group of n variables at hz changes n*hz*TICK of them a tick,
    round robin, carrying the fraction over."""
    cursors = [0.0 for _ in groups]
    positions = [0 for _ in groups]
    value = 0.0
    next_at = time.monotonic()
    while True:
        value += 1.0
        variant = ua.Variant(value, ua.VariantType.Double)
        for g, (nodes, hz) in enumerate(groups):
            if not nodes:
                continue
            due = len(nodes) * hz * TICK + cursors[g]
            n = int(due)
            cursors[g] = due - n
            for _ in range(n):
                await server.write_attribute_value(nodes[positions[g]], ua.DataValue(variant))
                positions[g] = (positions[g] + 1) % len(nodes)
                counts["produced"] += 1
        next_at += TICK
        delay = next_at - time.monotonic()
        if delay < -TICK:
            # Behind by more than a tick: count it and do not try to catch
            # up (the achieved rate is what the report says).
            started["late"] += 1
            next_at = time.monotonic()
        await asyncio.sleep(max(delay, 0))


async def main():
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/")
    server.set_server_name("mes bench server")
    idx = await server.register_namespace(uri)
    bench = await server.nodes.objects.add_object(ua.NodeId("Bench", idx), "Bench")
    groups = []
    for prefix, n, hz in (("S", slow, slow_hz), ("F", fast, fast_hz)):
        nodes = []
        # Objects of 100 variables each: asyncua checks every new reference
        # against the parent's others, so 10,000 under one object take
        # minutes to add; one AddNodes call per object.
        for first in range(0, n, PER_OBJECT):
            parent = await bench.add_object(ua.NodeId(f"Bench.{prefix}-group{first // PER_OBJECT}", idx), f"{prefix}-group{first // PER_OBJECT}")
            items = [
                variable(parent.nodeid, ua.NodeId(f"Bench.{prefix}{i}", idx), f"{prefix}{i}")
                for i in range(first, min(first + PER_OBJECT, n))
            ]
            results = await server.iserver.isession.add_nodes(items)
            for r in results:
                r.StatusCode.check()
            nodes.extend(r.AddedNodeId for r in results)
        groups.append((nodes, hz))
    await server.start()
    say(f"namespace {idx}")
    say("ready")
    loop = asyncio.get_running_loop()
    task = None
    started = {"at": None, "late": 0}
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        words = line.split()
        if not words:
            continue
        if words[0] == "start":
            counts["produced"] = counts["notified"] = 0
            started["at"] = time.monotonic()
            task = asyncio.create_task(changer(server, groups, started))
            say("ok")
        elif words[0] == "report":
            elapsed = time.monotonic() - started["at"] if started["at"] else 0.0
            items = sum(len(sub.monitored_item_srv._monitored_items) for sub in server.iserver.subscription_service.subscriptions.values())
            say(f"report produced={counts['produced']} notified={counts['notified']} elapsed={elapsed:.3f} late={started['late']} items={items}")
        elif words[0] == "pause":
            if task:
                task.cancel()
                task = None
            say("ok")
        elif words[0] == "stop":
            if task:
                task.cancel()
            await server.stop()
            say("stopped")
            break
        else:
            say(f"unknown command {words[0]}")


asyncio.run(main())
