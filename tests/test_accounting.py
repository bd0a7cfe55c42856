"""Bytes per weight and which tensors each storage scheme quantises (torch-free)."""

import pytest

from guide_builder.accounting import (
    STORAGES,
    TensorSpec,
    account,
    tensor_storage,
    types_used,
    use_more_bits,
    variant_scheme,
)


def test_gguf_block_sizes_follow_ggml():
    assert STORAGES["gguf_q8_0"].nbytes(32) == 34
    assert STORAGES["gguf_q4_k"].nbytes(256) == 144
    assert STORAGES["gguf_q5_k"].nbytes(256) == 176
    assert STORAGES["gguf_q6_k"].nbytes(512) == 420
    assert STORAGES["fp8_e4m3"].nbytes(10) == 10
    with pytest.raises(ValueError):
        STORAGES["gguf_q4_k"].nbytes(100)


def T(name, *shape, fp8=False):
    return TensorSpec(name, shape, fp8)


def test_transformer_q4_k_m_mix():
    scheme = "gguf_q4_k_m"
    assert (
        tensor_storage("transformer", T("layers.3.attention.to_v.weight", 3840, 3840), scheme)
        == "gguf_q5_k"
    )
    assert (
        tensor_storage("transformer", T("layers.3.feed_forward.w2.weight", 3840, 10240), scheme)
        == "gguf_q6_k"
    )
    assert (
        tensor_storage("transformer", T("layers.3.feed_forward.w1.weight", 10240, 3840), scheme)
        == "gguf_q4_k"
    )
    # never quantised: refiners, embedders, 1-D, small, rows that are not whole super-blocks
    assert (
        tensor_storage(
            "transformer", T("noise_refiner.0.attention.to_q.weight", 3840, 3840), scheme
        )
        == "bf16"
    )
    assert tensor_storage("transformer", T("cap_embedder.1.weight", 3840, 2560), scheme) == "bf16"
    assert (
        tensor_storage("transformer", T("layers.0.attention_norm1.weight", 3840), scheme) == "bf16"
    )
    assert tensor_storage("transformer", T("layers.0.x.weight", 16, 32), scheme) == "bf16"
    assert (
        tensor_storage("transformer", T("layers.0.adaLN_modulation.0.weight", 15360, 320), scheme)
        == "bf16"
    )
    assert (
        tensor_storage(
            "transformer", T("layers.0.adaLN_modulation.0.weight", 15360, 320), "gguf_q8_0"
        )
        == "gguf_q8_0"
    )
    assert tensor_storage("vae", T("decoder.mid.attn.to_q.weight", 512, 512), "gguf_q8_0") == "bf16"


def test_text_encoder_q4_k_m_uses_llama_cpp_layers():
    assert [i for i in range(36) if use_more_bits(i, 36)] == [
        0,
        1,
        2,
        3,
        *range(6, 31, 3),
        31,
        32,
        33,
        34,
        35,
    ]
    tensors = [T(f"layers.{i}.mlp.down_proj.weight", 2560, 9728) for i in range(36)]
    used = types_used("text_encoder", tensors, "gguf_q4_k_m")
    assert used == {"gguf_q6_k": 18 * 2560 * 9728, "gguf_q4_k": 18 * 2560 * 9728}
    assert (
        tensor_storage("text_encoder", T("embed_tokens.weight", 151936, 2560), "gguf_q4_k_m")
        == "gguf_q6_k"
    )


def test_account_sums_bytes_and_counts_quantised_weights():
    tensors = [
        T("layers.0.feed_forward.w1.weight", 256, 512, fp8=True),
        T("layers.0.attention_norm1.weight", 256),
    ]
    q8 = account("transformer", tensors, "gguf_q8_0")
    assert q8.params == 256 * 512 + 256 and q8.tensors == 2
    assert q8.quantized_params == 256 * 512
    assert q8.weight_bytes == 256 * 512 // 32 * 34 + 256 * 2
    fp8 = account("transformer", tensors, "fp8_e4m3")
    assert fp8.weight_bytes == 256 * 512 + 256 * 2
    assert account("transformer", tensors, "fp32").weight_bytes == (256 * 512 + 256) * 4


def test_variant_names_map_to_schemes():
    assert variant_scheme("gguf_q4_k_m+text_encoder_unload") == "gguf_q4_k_m"
    assert variant_scheme("fp8") == "fp8_e4m3"
    assert variant_scheme("group_offload") == "bf16"


def test_variant_weights_read_the_committed_table():
    import csv
    from pathlib import Path

    from guide_builder.accounting import placement, variant_weights

    path = Path(__file__).resolve().parents[1] / "measurements/catalog/variant_memory.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    by = {(r["component"], r["storage"]): int(r["weight_bytes"]) for r in table}
    w = variant_weights(table, "gguf_q4_k_m+text_encoder_unload")
    assert w["transformer"] == {
        "bytes": by["transformer", "gguf_q4_k_m"],
        "storage": "gguf_q4_k_m",
        "placement": "device",
    }
    assert w["text_encoder"]["placement"] == "host" and w["text_encoder"]["storage"] == "bf16"
    assert variant_weights(table, "fp8")["transformer"]["bytes"] == by["transformer", "fp8_e4m3"]
    assert placement("group_offload")["transformer"] == "streamed"
    assert placement("plain") == placement("gguf_q8_0")
    with pytest.raises(KeyError):
        placement("turbo")
