"""The hazmat layer: algorithms, raw key encodings, HPKE suites. Nothing outside hub.crypto uses it.

Rules:

1. Three algorithms, named as in the key documents:

   ========================================  ====  ==========  ===========  =====================
   ``alg``                                   use   public      private      HPKE suite (RFC 9180)
   ========================================  ====  ==========  ===========  =====================
   ``Ed25519``                               sig   32 raw      32 seed      -
   ``HPKE-X25519-SHA256-A256GCM``            enc   32 raw      32 raw       KEM 0x0020, KDF 0x0001,
                                                                            AEAD 0x0002
   ``HPKE-MLKEM768X25519-SHA256-A256GCM``    enc   1184 + 32   64 + 32      KEM 0x647A (X-Wing),
                                                                            KDF 0x0001, AEAD 0x0002
   ========================================  ====  ==========  ===========  =====================

   The hybrid public key is the ML-KEM-768 encapsulation key (1,184 bytes) followed by the X25519
   public key (32); the private key is the 64-byte ML-KEM seed (d || z, FIPS 203) followed by the
   X25519 private key (32).
2. HPKE is base mode, single shot, empty AAD; the ciphertext is ``enc || AEAD ciphertext``.
3. Key generation takes an optional ``seed`` (the raw private bytes above) so that tests and
   known-answer vectors are deterministic; without one it draws from ``os.urandom``. Signing
   (Ed25519 is deterministic) and HPKE's ephemeral keys draw their own randomness in
   ``cryptography`` and cannot be injected.
4. A failed HPKE open raises ``InvalidMessage("decrypt_failed")``; bad key bytes raise
   ``ValueError`` (key documents are our configuration, validated when loaded).
"""

from __future__ import annotations

import os
from typing import Final, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519

from hub._exceptions import InvalidMessage

__all__ = [
    "ALGORITHMS",
    "ALG_USE",
    "ED25519",
    "HPKE_HYBRID",
    "HPKE_X25519",
    "Algorithm",
    "DecryptionKeyObject",
    "EncryptionKeyObject",
    "KeyUse",
    "hpke_open",
    "hpke_seal",
    "load_decryption_key",
    "load_encryption_key",
    "load_signing_key",
    "load_verifying_key",
    "new_private_bytes",
    "public_bytes_of",
]

Algorithm = Literal["Ed25519", "HPKE-X25519-SHA256-A256GCM", "HPKE-MLKEM768X25519-SHA256-A256GCM"]
KeyUse = Literal["sig", "enc"]

ED25519: Final = "Ed25519"
HPKE_X25519: Final = "HPKE-X25519-SHA256-A256GCM"
HPKE_HYBRID: Final = "HPKE-MLKEM768X25519-SHA256-A256GCM"
ALGORITHMS: Final[tuple[Algorithm, ...]] = (ED25519, HPKE_X25519, HPKE_HYBRID)
ALG_USE: Final[dict[str, KeyUse]] = {ED25519: "sig", HPKE_X25519: "enc", HPKE_HYBRID: "enc"}

_MLKEM_PUBLIC: Final = 1184
_MLKEM_SEED: Final = 64
_PRIVATE_SIZE: Final = {ED25519: 32, HPKE_X25519: 32, HPKE_HYBRID: _MLKEM_SEED + 32}
_PUBLIC_SIZE: Final = {ED25519: 32, HPKE_X25519: 32, HPKE_HYBRID: _MLKEM_PUBLIC + 32}
_SUITES: Final = {
    HPKE_X25519: hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM),
    HPKE_HYBRID: hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM),
}

EncryptionKeyObject = x25519.X25519PublicKey | hpke.MLKEM768X25519PublicKey
DecryptionKeyObject = x25519.X25519PrivateKey | hpke.MLKEM768X25519PrivateKey


def _sized(alg: str, raw: bytes, sizes: dict[str, int], what: str) -> bytes:
    if alg not in sizes:
        raise ValueError(f"unknown algorithm {alg!r}")
    if not isinstance(raw, bytes):
        raise TypeError(f"{what} key must be bytes, not {type(raw).__name__}")
    if len(raw) != sizes[alg]:
        raise ValueError(f"a {alg} {what} key is {sizes[alg]} bytes, not {len(raw)}")
    return raw


def new_private_bytes(alg: str, seed: bytes | None = None) -> bytes:
    """Raw private key bytes: ``seed`` itself if given (validated), else fresh randomness."""
    if seed is None:
        seed = os.urandom(_PRIVATE_SIZE.get(alg, 0))
    raw = _sized(alg, seed, _PRIVATE_SIZE, "private")
    public_bytes_of(alg, raw)  # rejects seeds the primitives refuse
    return raw


def public_bytes_of(alg: str, private: bytes) -> bytes:
    """The raw public key of raw private key bytes."""
    raw = _sized(alg, private, _PRIVATE_SIZE, "private")
    if alg == ED25519:
        return ed25519.Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes_raw()
    if alg == HPKE_X25519:
        return x25519.X25519PrivateKey.from_private_bytes(raw).public_key().public_bytes_raw()
    ml_kem = mlkem.MLKEM768PrivateKey.from_seed_bytes(raw[:_MLKEM_SEED])
    classic = x25519.X25519PrivateKey.from_private_bytes(raw[_MLKEM_SEED:])
    return ml_kem.public_key().public_bytes_raw() + classic.public_key().public_bytes_raw()


def load_signing_key(private: bytes) -> ed25519.Ed25519PrivateKey:
    """An Ed25519 private key from its 32-byte seed."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(
        _sized(ED25519, private, _PRIVATE_SIZE, "private")
    )


def load_verifying_key(public: bytes) -> ed25519.Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes."""
    return ed25519.Ed25519PublicKey.from_public_bytes(
        _sized(ED25519, public, _PUBLIC_SIZE, "public")
    )


def load_encryption_key(alg: str, public: bytes) -> EncryptionKeyObject:
    """An HPKE recipient public key of ``alg`` from its raw bytes."""
    raw = _sized(alg, public, _PUBLIC_SIZE, "public")
    if alg == HPKE_X25519:
        return x25519.X25519PublicKey.from_public_bytes(raw)
    if alg == HPKE_HYBRID:
        return hpke.MLKEM768X25519PublicKey(
            mlkem.MLKEM768PublicKey.from_public_bytes(raw[:_MLKEM_PUBLIC]),
            x25519.X25519PublicKey.from_public_bytes(raw[_MLKEM_PUBLIC:]),
        )
    raise ValueError(f"{alg} is not an encryption algorithm")


def load_decryption_key(alg: str, private: bytes) -> DecryptionKeyObject:
    """An HPKE recipient private key of ``alg`` from its raw bytes."""
    raw = _sized(alg, private, _PRIVATE_SIZE, "private")
    if alg == HPKE_X25519:
        return x25519.X25519PrivateKey.from_private_bytes(raw)
    if alg == HPKE_HYBRID:
        return hpke.MLKEM768X25519PrivateKey(
            mlkem.MLKEM768PrivateKey.from_seed_bytes(raw[:_MLKEM_SEED]),
            x25519.X25519PrivateKey.from_private_bytes(raw[_MLKEM_SEED:]),
        )
    raise ValueError(f"{alg} is not an encryption algorithm")


def hpke_seal(alg: str, public: EncryptionKeyObject, plaintext: bytes, info: bytes) -> bytes:
    """HPKE base-mode single-shot seal: ``enc || ciphertext``."""
    suite = _SUITES.get(alg)
    if suite is None:
        raise ValueError(f"{alg} is not an encryption algorithm")
    return suite.encrypt(plaintext, public, info=info)


def hpke_open(alg: str, private: DecryptionKeyObject, sealed: bytes, info: bytes) -> bytes:
    """HPKE base-mode single-shot open; any failure is ``InvalidMessage("decrypt_failed")``."""
    suite = _SUITES.get(alg)
    if suite is None:
        raise ValueError(f"{alg} is not an encryption algorithm")
    try:
        return suite.decrypt(sealed, private, info=info)
    except (InvalidTag, ValueError) as exc:
        raise InvalidMessage("decrypt_failed") from exc
