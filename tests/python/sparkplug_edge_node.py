#!/usr/bin/env python3
"""A Sparkplug B edge node for the agent's end-to-end tests, built on
pysparkplug (an independent implementation: its payloads come from the
Tahu protobuf classes compiled by Google's protobuf, not from our code).

Usage: sparkplug_edge_node.py HOST PORT GROUP NODE

One edge node NODE with one device "press" whose metrics are
  state (String, alias 1), good (UInt32, alias 2), temp (Double, alias 3).
Commands on stdin, one per line; one line on stdout per event:
  birth                connect (will: NDEATH with bdSeq), NBIRTH + DBIRTH  -> "born"
  data STATE GOOD TEMP DDATA by alias only (no names, no data types)         -> "sent"
  gap N                skip N sequence numbers (messages lost)              -> "sent"
  ddeath               DDEATH of the device                                 -> "sent"
  exit                 leave without DISCONNECT: the broker sends the will   (no line)
An NCMD "Node Control/Rebirth" to NODE publishes NBIRTH + DBIRTH again
(with the current values) and prints "rebirth".
"""

import os
import sys
import threading

import pysparkplug as spb

host, port, group, node = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
DEVICE = "press"
lock = threading.Lock()
seq = 0
bd_seq = 7  # any session number; the NDEATH must carry the same
values = {"state": "idle", "good": 0, "temp": 20.0}
ALIASES = {"state": (1, spb.DataType.STRING), "good": (2, spb.DataType.UINT32), "temp": (3, spb.DataType.DOUBLE)}


def say(line):
    print(line, flush=True)


def next_seq():
    global seq
    current = seq
    seq = (seq + 1) % 256
    return current


def now():
    return spb.get_current_timestamp()


def bd_seq_metric():
    return spb.Metric(timestamp=now(), name="bdSeq", datatype=spb.DataType.UINT64, value=bd_seq)


def publish(kind, payload, device=None, dtypes=True):
    topic = spb.Topic(message_type=kind, group_id=group, edge_node_id=node, device_id=device)
    client.publish(spb.Message(topic=topic, payload=payload, qos=spb.QoS.AT_MOST_ONCE, retain=False), include_dtypes=dtypes)


def births():
    global seq
    seq = 0
    node_metrics = (
        bd_seq_metric(),
        spb.Metric(timestamp=now(), name="Node Control/Rebirth", datatype=spb.DataType.BOOLEAN, value=False),
    )
    publish(spb.MessageType.NBIRTH, spb.NBirth(timestamp=now(), seq=next_seq(), metrics=node_metrics))
    device_metrics = tuple(
        spb.Metric(timestamp=now(), name=name, alias=alias, datatype=datatype, value=values[name])
        for name, (alias, datatype) in ALIASES.items()
    )
    publish(spb.MessageType.DBIRTH, spb.DBirth(timestamp=now(), seq=next_seq(), metrics=device_metrics), DEVICE)


def on_command(_client, message):
    for metric in message.payload.metrics:
        if metric.name == "Node Control/Rebirth" and metric.value:
            with lock:
                births()
            say("rebirth")


client = spb.Client(client_id=f"edge-{group}-{node}")
client.set_will(
    spb.Message(
        topic=spb.Topic(message_type=spb.MessageType.NDEATH, group_id=group, edge_node_id=node),
        payload=spb.NDeath(timestamp=now(), bd_seq_metric=bd_seq_metric()),
        qos=spb.QoS.AT_LEAST_ONCE,
        retain=False,
    )
)
connected = threading.Event()
client.subscribe(
    spb.Topic(message_type=spb.MessageType.NCMD, group_id=group, edge_node_id=node), spb.QoS.AT_MOST_ONCE, on_command
)
say("ready")
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    command = words[0]
    with lock:
        if command == "birth":
            client.connect(host, port=port, keepalive=5, callback=lambda _c: connected.set())
            connected.wait(10)
            births()
            say("born")
        elif command == "data":
            values.update(state=words[1], good=int(words[2]), temp=float(words[3]))
            metrics = tuple(
                spb.Metric(timestamp=now(), name=None, alias=alias, datatype=datatype, value=values[name])
                for name, (alias, datatype) in ALIASES.items()
            )
            publish(spb.MessageType.DDATA, spb.DData(timestamp=now(), seq=next_seq(), metrics=metrics), DEVICE, dtypes=False)
            say("sent")
        elif command == "gap":
            for _ in range(int(words[1])):
                next_seq()
            say("sent")
        elif command == "ddeath":
            publish(spb.MessageType.DDEATH, spb.DDeath(timestamp=now(), seq=next_seq()), DEVICE)
            say("sent")
        elif command == "exit":
            sys.stdout.flush()
            os._exit(0)  # no DISCONNECT: the broker publishes the will
        else:
            say(f"unknown command {command}")
