"""A foreign starter: drives one inbox sweep with Temporal's Python SDK and nothing but the published
contract (docs/contract.md, docs/schemas/). Prints one JSON line per step; test/python-client.test.ts
reads them and answers on stdin when the user has re-authorized.

usage: sweep_client.py ADDRESS NAMESPACE TASK_QUEUE IDENTIFIER WORKFLOW_ID (the canonical inbox-sweep/<identifier>)
"""

import asyncio
import dataclasses
import json
import os
import sys

import temporalio.converter
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from inbox_codec import InboxAgentCodec

INBOX_IDENTIFIER = SearchAttributeKey.for_keyword("InboxIdentifier")


def say(step, **fields):
    print(json.dumps({"step": step, **fields}), flush=True)


async def main():
    address, namespace, task_queue, identifier, workflow_id = sys.argv[1:6]
    # Payloads and failure messages are encrypted (docs/contract.md, "Encryption"): the same codec.
    converter = dataclasses.replace(
        temporalio.converter.default(),
        payload_codec=InboxAgentCodec(os.environ["INBOX_AGENT_CODEC_KEYS"]),
        failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes,
    )
    client = await Client.connect(address, namespace=namespace, data_converter=converter)
    attributes = TypedSearchAttributes([SearchAttributePair(INBOX_IDENTIFIER, identifier)])

    # The canonical id with USE_EXISTING: a start while the user's sweep runs attaches to it.
    handle = await client.start_workflow(
        "inboxSweep",
        {"identifier": identifier, "reauthTimeout": "10 minutes"},
        id=workflow_id,
        task_queue=task_queue,
        search_attributes=attributes,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    say("started", workflowId=handle.id, runId=handle.result_run_id)

    status = {}
    for _ in range(200):
        status = await handle.query("status")
        if status["phase"] == "awaiting_reauthorization":
            break
        await asyncio.sleep(0.1)
    say("status", status=status)

    # The test makes the connection ACTIVE (the user clicked Allow), then tells us to go on.
    sys.stdin.readline()
    await handle.signal("reauthorized", {"note": "signalled from Python"})
    say("result", result=await handle.result())

    # Input that breaks docs/schemas/sweep-input.json: a misspelt field.
    bad = await client.start_workflow(
        "inboxSweep",
        {"identifier": identifier, "reauthTimout": "1 hour"},
        id=workflow_id + "/python-invalid",
        task_queue=task_queue,
        search_attributes=attributes,
    )
    try:
        await bad.result()
        say("invalid", accepted=True)
    except WorkflowFailureError as err:
        cause = err.cause
        say("invalid", type=getattr(cause, "type", None), message=getattr(cause, "message", str(cause)),
            nonRetryable=getattr(cause, "non_retryable", None))


asyncio.run(main())
# The SDK's native runtime keeps threads that can race the interpreter's finalization (seen once in CI:
# "PyGILState_Release: thread state ... must be current", the process aborted after every line was
# written). Everything is said and flushed by now, so leave without finalization.
sys.stdout.flush()
os._exit(0)
