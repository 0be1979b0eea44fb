#!/usr/bin/env python3
"""A Sparkplug B client for the agent's end-to-end tests, built on
pysparkplug (independent of our code: Google's protobuf classes of the
Tahu proto, and pysparkplug's own alias resolution through births).

Usage: sparkplug_reader.py HOST PORT GROUP NODE

Subscribes to spBv1.0/GROUP/# and prints one JSON line per message:
  {"type": "DDATA", "node": ..., "device": ..., "seq": ..., "metrics": {name: value}}
(names resolved from the aliases of the births it saw; bdSeq included).
Commands on stdin:
  rebirth   NCMD "Node Control/Rebirth" = true to NODE   -> "sent"
"""

import json
import sys
import threading

import pysparkplug as spb

host, port, group, node = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = threading.Lock()


def say(line):
    with out:
        print(line, flush=True)


def on_message(client, message):
    # An exception here would end paho's network thread: report it instead.
    try:
        report(message)
    except Exception as error:  # noqa: BLE001
        print(f"reader: cannot report {message.topic}: {error!r}", file=sys.stderr, flush=True)


def report(message):
    payload = message.payload
    metrics = {}
    for metric in getattr(payload, "metrics", ()):
        metrics[metric.name] = None if metric.is_null else metric.value
    if hasattr(payload, "bd_seq_metric"):
        metrics["bdSeq"] = payload.bd_seq_metric.value
    say(
        json.dumps(
            {
                "type": str(message.topic.message_type.value if hasattr(message.topic.message_type, "value") else message.topic.message_type),
                "node": message.topic.edge_node_id,
                "device": message.topic.device_id,
                "seq": getattr(payload, "seq", None),
                "metrics": metrics,
            }
        )
    )


client = spb.Client(client_id=f"reader-{group}")
connected = threading.Event()
client.subscribe(spb.Topic(group_id=group, message_type=spb.MULTI_LEVEL_WILDCARD), spb.QoS.AT_LEAST_ONCE, on_message)
client.connect(host, port=port, keepalive=10, callback=lambda _c: connected.set())
connected.wait(10)
say("ready")
for line in sys.stdin:
    if line.strip() == "rebirth":
        metric = spb.Metric(timestamp=spb.get_current_timestamp(), name="Node Control/Rebirth", datatype=spb.DataType.BOOLEAN, value=True)
        topic = spb.Topic(message_type=spb.MessageType.NCMD, group_id=group, edge_node_id=node)
        client.publish(
            spb.Message(topic=topic, payload=spb.NCmd(timestamp=spb.get_current_timestamp(), metrics=(metric,)), qos=spb.QoS.AT_MOST_ONCE, retain=False),
            include_dtypes=True,
        )
        say("sent")
