"""Load-time floors, RAM, disk, airflow and PCIe link times against hand-worked figures,
and the fact-checks of drive, RAM, cooling and board claims."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from analysis_data import build, claim, gpu, workload

from guide_builder.analysis import AnalysisConfig, analyse, storage
from guide_builder.analysis.cooling import airflow_cfm, cooling_estimates, fans_needed
from guide_builder.analysis.pcie import Link, bytes_per_image, link_rate, pcie_estimates
from guide_builder.dataset import load_dataset
from guide_builder.messages import render

GIB = 2**30
CATALOG = Path(__file__).parents[2] / "measurements" / "catalog"
# Round byte counts so every figure below can be worked by hand.
VARIANT_MEMORY = """component,storage,params,tensors,quantized_params,weight_bytes,diffusers_version
transformer,fp32,6000000000,1,0,24000000000,0.42.1
transformer,bf16,6000000000,1,0,12000000000,0.42.1
transformer,fp8_e4m3,6000000000,1,6000000000,6000000000,0.42.1
transformer,gguf_q8_0,6000000000,1,6000000000,6375000000,0.42.1
transformer,gguf_q4_k_m,6000000000,1,6000000000,3375000000,0.42.1
text_encoder,fp32,4000000000,1,0,16000000000,0.42.1
text_encoder,bf16,4000000000,1,0,8000000000,0.42.1
vae,fp32,100000000,1,0,400000000,0.42.1
vae,bf16,100000000,1,0,200000000,0.42.1
"""
STORAGE = """storage_class,read_gb_s,example,source,url,quote,note,note_zh
sata_ssd,0.5,test drive,test page,https://example.org/sata,"reads 500 MB/s",,
nvme_pcie4,5.0,test drive,test page,https://example.org/nvme,"reads 5,000 MB/s",,
"""
LINKS = """gen,lanes,kind,gb_s,gpu,source,url,quote,note,note_zh
4,1,theoretical,2.0,,test page,https://example.org/pcie,"2.0 GB/s per lane",,
5,1,theoretical,4.0,,test page,https://example.org/pcie,"4.0 GB/s per lane",,
4,16,measured_pinned,25.6,Card A,test issue,https://example.org/bw,"25.6",,
4,16,measured_pageable,19.2,Card A,test issue,https://example.org/bw2,"19.2",,
"""
REFS = """kind,item,value,unit,source,url,quote,note,note_zh
fan_airflow,120mm fan,40,cfm,test fan,https://example.org/fan,"40 CFM",,
airflow_rule,sensible heat constant,1.08,btuh_per_cfm_f,test rule,https://example.org/rule,"1.08",,
memory_tjmax,GDDR6X,105,c,test limit,https://example.org/tj,"105C",,
board_slot,ASUS ROG STRIX B760-G GAMING WIFI,5,gen,test board,https://example.org/b760,"5.0",,
platform_lanes,AMD X670E/B650E,16,lanes,test lanes,https://example.org/am5,"16",,
ssd_fill,keep SSDs below this fill level,75,pct,test fill,https://example.org/fill,"75 percent",,
"""


def with_refs(root: Path, **kw):
    build(root, **kw)
    cat = root / "catalog"
    (cat / "variant_memory.csv").write_text(VARIANT_MEMORY)
    (cat / "storage_classes.csv").write_text(STORAGE)
    (cat / "pcie_links.csv").write_text(LINKS)
    (cat / "hardware_refs.csv").write_text(REFS)
    return load_dataset(root)


@pytest.fixture
def data(tmp_path):
    cards = [
        gpu("Card A", vram=24, board_power_w=425, memory_type="GDDR6X", pcie_gen=4, pcie_lanes=16)
    ]
    return with_refs(tmp_path / "m", gpus=cards)


def test_bytes_come_from_the_accounting_table(data):
    cfg = AnalysisConfig()
    assert storage.accounting_basis(data) == "table"
    # As published: transformer fp32 24 + text encoder bf16 8 + VAE fp32 0.4 = 32.4 GB.
    assert storage.bytes_read(data, cfg, "plain", "hf_published") == pytest.approx(32.4e9)
    # ComfyUI folders hold bf16 files: 12 + 8 + 0.2 = 20.2 GB; fp8 transformer: 6 + 8 + 0.2.
    assert storage.bytes_read(data, cfg, "plain", "comfyui") == pytest.approx(20.2e9)
    assert storage.bytes_read(data, cfg, "fp8", "comfyui") == pytest.approx(14.2e9)
    assert storage.bytes_loaded(data, cfg, "gguf_q4_k_m") == pytest.approx(11.575e9)


def test_load_floor_arithmetic(data):
    advice = storage.storage_advice(data, AnalysisConfig())
    f = next(
        x
        for x in advice.floors
        if (x.variant, x.layout, x.storage_class) == ("plain", "hf_published", "sata_ssd")
    )
    # 32.4 GB / 0.5 GB/s = 64.8 s to read; 20.2 GB / 25.6 GB/s = 0.789 s to copy.
    assert f.read_s == pytest.approx(64.8)
    assert f.h2d_s == pytest.approx(20.2 / 25.6)
    assert f.floor_s == pytest.approx(64.8 + 0.7890625)
    nvme = next(
        x
        for x in advice.floors
        if (x.variant, x.layout, x.storage_class) == ("fp8", "comfyui", "nvme_pcie4")
    )
    # 14.2 GB / 5 GB/s = 2.84 s; fp8 weights 6 + 8 + 0.2 = 14.2 GB / 25.6 = 0.5547 s.
    assert nvme.floor_s == pytest.approx(2.84 + 14.2 / 25.6)


def test_ram_per_variant(data):
    cfg = AnalysisConfig()
    # model offload keeps every bf16 weight in RAM: 20.2e9 B = 18.81 GiB.
    assert storage.host_weights_bytes(data, cfg, "model_offload") / GIB == pytest.approx(
        18.8127, 1e-3
    )
    assert storage.host_weights_bytes(data, cfg, "text_encoder_unload") == pytest.approx(8e9)
    assert storage.host_weights_bytes(data, cfg, "plain") == 0
    # Loading the fp32 transformer whole and casting it: 24 + 12 = 36 GB = 33.53 GiB at once.
    peak = storage.load_transient_bytes(data, cfg, "plain", "hf_published")
    assert peak == pytest.approx(36e9)
    # 8 GiB system + 33.53 GiB = 41.5 GiB -> 48; ComfyUI bf16 files: 8 + 18.81 -> 32.
    ram = {(r.variant, r.layout): r.recommended_gib for r in storage.storage_advice(data, cfg).ram}
    assert ram[("plain", "hf_published")] == 48
    assert ram[("model_offload", "comfyui")] == 32
    assert ram[("gguf_q4_k_m", "comfyui")] == 16  # 8 + max(0, 8 GB encoder read whole) = 15.45


def test_recommended_ssd_size(data):
    cfg = AnalysisConfig()
    # (32.4 GB + 200 GB) / 0.75 = 309.9 GB -> 512; with 1 TB of other data: 1376.5 -> 2000.
    assert storage.recommended_ssd_gb(data, cfg) == 512
    assert storage.recommended_ssd_gb(data, cfg, extra_gb=1000) == 2000
    # Both layouts of plain: (32.4 + 20.2 + 200) / 0.75 = 336.8 -> 512.
    assert storage.recommended_ssd_gb(data, cfg, layouts=storage.LAYOUTS) == 512


def test_airflow_matches_the_si_form():
    # 650 W warming the air 10 K: 3.412 x 650 / (1.08 x 18) = 114.09 CFM.
    cfm = airflow_cfm(650, 10)
    assert cfm == pytest.approx(114.09, abs=0.01)
    # SI: P / (rho cp dT) = 650 / (1.2 x 1005 x 10) m³/s = 194.0 m³/h; 1 cfm = 1.69874 m³/h.
    assert cfm * 1.69874 == pytest.approx(650 / (1.2 * 1005 * 10) * 3600, rel=0.01)
    assert fans_needed(cfm, 40) == 3
    assert fans_needed(80, 40) == 2


def test_cooling_needs_no_bench(data):
    est = cooling_estimates(data, AnalysisConfig())
    (a,) = est
    # 425 W card + 150 W CPU + 75 W platform = 650 W -> 114.09 CFM -> 3 fans of 40 CFM.
    assert a.system_w == 650 and a.fans_high == 3
    assert a.memory_limit_c == 105


def test_link_times(data):
    cfg = AnalysisConfig()
    # model offload: every component once per image, 20.2 GB; sequential: 8 x 12 + 8 + 0.2.
    assert bytes_per_image(data, cfg, "model_offload", 8) == pytest.approx(20.2e9)
    assert bytes_per_image(data, cfg, "sequential_offload", 8) == pytest.approx(104.2e9)
    assert bytes_per_image(data, cfg, "plain", 8) == 0
    assert bytes_per_image(data, cfg, "gguf_q4_k_m+text_encoder_unload", 8) == pytest.approx(8e9)
    exact = link_rate(data, Link(4, 16, "cpu"))
    assert exact.evidence == "measured" and exact.gb_s == 25.6
    # x4 chipset slot: 4 lanes x 2.0 GB/s x (25.6 / 32 measured share) = 6.4 GB/s.
    x4 = link_rate(data, Link(4, 4, "chipset"))
    assert x4.evidence == "estimated" and x4.gb_s == pytest.approx(6.4)
    (card,) = [v for v in pcie_estimates(data, cfg) if v.variant == "model_offload"]
    times = {(t.link.gen, t.link.lanes): t for t in card.times}
    assert times[(4, 16)].image_s == pytest.approx(20.2 / 25.6)
    assert times[(4, 4)].image_s == pytest.approx(20.2 / 6.4)
    # pageable: 19.2 / 25.6 = 0.75 of pinned.
    assert times[(4, 16)].image_pageable_s == pytest.approx(20.2 / 19.2)


ARTICLE = [
    claim("Card A", "seconds_per_image", 1.0, "s", "bf16"),
    claim("Card A", "load_seconds", 83, "s", note="cold load, model cache on a SATA drive"),
    claim("Card A", "load_seconds", 30, "s", note="cold load, model cache on a SATA drive"),
    claim("Card A", "load_seconds", 3.1, "s", note="warm load with separate system and model SSDs"),
    claim("Card A", "disk_read", 2.5, "gb_s", note="PCIe 4.0 NVMe drive"),
    claim("Card A", "ram_swap", 64, "gb"),
    claim("Card A", "memory_throttle", 7.2, "pct"),
    claim("Card A", "temperature", 95, "c", note="memory after 1 hour"),
    claim("Card A", "board_slot", 5, "gen", note="names ROG STRIX B760-G"),
    claim("Card A", "fan_layout", 2, None),
]


def test_article_claims_checked(tmp_path):
    cards = [
        gpu("Card A", vram=24, board_power_w=425, memory_type="GDDR6X", pcie_gen=4, pcie_lanes=16)
    ]
    data = with_refs(tmp_path / "m", gpus=cards, reported=ARTICLE, workloads=[workload()])
    checks = analyse(data).fact_checks
    grade = {(c.claim, c.value): c.flag.grade for c in checks}
    # 32.4 GB / 0.5 + 0.79 s = 65.6 s floor: 83 s is possible, 30 s is not.
    assert grade[("load_seconds", 83)] == "plausible"
    assert grade[("load_seconds", 30)] == "impossible"
    assert grade[("load_seconds", 3.1)] == "implausible"  # page cache, not the drives
    assert grade[("disk_read", 2.5)] == "contradicts_spec"
    assert grade[("ram_swap", 64)] == "implausible"
    assert grade[("memory_throttle", 7.2)] == "implausible"
    assert grade[("temperature", 95)] == "plausible"  # below GDDR6X's 105 °C
    assert grade[("board_slot", 5)] == "consistent"
    assert grade[("fan_layout", 2)] == "implausible"  # 114 CFM needs 3 fans of 40
    throttle = next(c for c in checks if c.claim == "memory_throttle")
    assert "0.072 s" in render(throttle.flag.reason, "en")  # 7.2 % of 1.0 s
    assert "秒" in render(throttle.flag.reason, "zh")
    # each claim is checked once, by one module
    assert len([c for c in checks if c.claim == "load_seconds"]) == 3


def test_shipped_references_load():
    data = load_dataset(CATALOG.parent)
    classes = data.reference("storage_classes")
    assert set(classes["storage_class"]) == {
        "hdd",
        "sata_ssd",
        "nvme_pcie3",
        "nvme_pcie4",
        "nvme_pcie5",
    }
    assert all(u.startswith("http") for u in data.reference("pcie_links")["url"])


def test_fixture_tree_has_no_references(tmp_path):
    """Without the reference files the computed advice is empty, never an error."""
    cards = [gpu("Card A", pcie_gen=4, pcie_lanes=16)]
    data = build(tmp_path / "m", gpus=cards)
    assert data.reference("storage_classes").empty
    advice = storage.storage_advice(data, AnalysisConfig())
    assert advice.floors == [] and advice.basis == "config"
    shutil.rmtree(tmp_path / "m")


def test_measured_host_rss_raises_the_ram_advice(tmp_path):
    from analysis_data import timed

    cards = [gpu("Card A", vram=24, pcie_gen=4, pcie_lanes=16)]
    runs = timed("b1", "Card A", [5.0, 5.1], variant="model_offload", peak_host_rss_gib=45.0)
    data = with_refs(tmp_path / "m", gpus=cards, runs=runs)
    cfg = AnalysisConfig()
    (need,) = [
        r
        for r in storage.storage_advice(data, cfg).ram
        if (r.variant, r.layout) == ("model_offload", "hf_published")
    ]
    # measured 45 GiB beats the 33.5 GiB bound: 8 + 45 = 53 GiB -> 64.
    assert need.measured_peak_gib == 45.0 and need.measured_benches == ("b1",)
    assert need.recommended_gib == 64
    assert storage.recommended_ram_for(data, cfg, "model_offload") == 64
    assert storage.recommended_ram_for(data, cfg, "plain") == 48  # no run: the bound
