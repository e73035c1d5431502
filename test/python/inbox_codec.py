"""The payload codec of docs/contract.md ("Encryption"), for Python starters: AES-256-GCM over each
whole serialized Payload, `iv(12) || ciphertext || tag(16)`, outer metadata `encoding:
binary/encrypted` and `encryption-key-id: <id>`, associated data `binary/encrypted:<id>`. Keys come as
INBOX_AGENT_CODEC_KEYS (`id:base64key,...`, newest first): the newest encrypts, all decrypt.
"""

import base64
import os
from typing import Iterable, List

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


def parse_keys(spec: str):
    keys = []
    for entry in filter(None, (s.strip() for s in spec.split(","))):
        key_id, _, material = entry.partition(":")
        key = base64.b64decode(material)
        if not key_id or len(key) != 32:
            raise ValueError("INBOX_AGENT_CODEC_KEYS: expected id:base64key pairs of 32-byte keys")
        keys.append((key_id, key))
    if not keys:
        raise ValueError("INBOX_AGENT_CODEC_KEYS is empty")
    return keys


class InboxAgentCodec(PayloadCodec):
    def __init__(self, spec: str):
        self.keys = parse_keys(spec)
        self.by_id = dict(self.keys)

    async def encode(self, payloads: Iterable[Payload]) -> List[Payload]:
        key_id, key = self.keys[0]
        out = []
        for p in payloads:
            iv = os.urandom(12)
            sealed = AESGCM(key).encrypt(iv, p.SerializeToString(), ENCODING + b":" + key_id.encode())
            out.append(Payload(metadata={"encoding": ENCODING, KEY_ID: key_id.encode()}, data=iv + sealed))
        return out

    async def decode(self, payloads: Iterable[Payload]) -> List[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)
                continue
            key_id = p.metadata[KEY_ID].decode()
            key = self.by_id[key_id]
            plain = AESGCM(key).decrypt(p.data[:12], p.data[12:], ENCODING + b":" + key_id.encode())
            out.append(Payload.FromString(plain))
        return out
