"""The worker: one `spawn`ed process per GPU (or the CPU), streaming messages to the parent.

It sees exactly one CUDA device, chosen by UUID before torch is imported, so CUDA's device
0 is the NVML device the parent named. Messages on the pipe are `(kind, payload)`:
``env``, ``begin`` (what it is about to do, so a crash can be blamed), ``run``, ``probe``,
``telemetry``, ``end_config``, ``restart`` (a poisoned CUDA context) and ``done``.
The parent owns all files.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from typing import Any

from guide_builder.measure import variants as variant_registry
from guide_builder.measure import workloads as workload_registry
from guide_builder.measure.config import MeasureConfig
from guide_builder.measure.device import Device, describe_exception
from guide_builder.measure.identity import configuration_columns, device_columns
from guide_builder.measure.rss import PeakRss


def config_key(target_id: str, workload: str, variant: str, cap: float | None) -> str:
    """The identity of one configuration on one device (resume skips finished keys)."""
    return f"{target_id}|{workload}|{variant}|{'' if cap is None else format(cap, 'g')}"


def main(job: dict[str, Any], conn: Any) -> None:
    """Process entry point."""
    # Ctrl-C reaches the whole process group: the parent decides when a worker stops
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    target = job["target"]
    if target["kind"] == "cuda":
        os.environ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
        os.environ["CUDA_VISIBLE_DEVICES"] = target["uuid"]
    lock = threading.Lock()  # the sampler thread and the main thread share the pipe

    def send(message: tuple[str, Any]) -> None:
        with lock:
            conn.send(message)

    Worker(job, send).run()


class Worker:
    def __init__(self, job: dict[str, Any], emit):
        self.job = job
        self.emit = lambda kind, payload=None: emit((kind, payload))
        self.cfg = MeasureConfig.from_dict(job["config"])
        self.target = job["target"]
        self.bench_id = job["bench_id"]
        self.next_index = job["next_run_index"]
        self.quality_refs: dict[tuple[str, int], Any] = {}  # plain's pixels per prompt
        self.rss = PeakRss()

    def run(self) -> None:
        workload_registry.load_plugins(self.cfg.plugins)
        _quiet_libraries()
        import torch

        from guide_builder.measure.device import make_device
        from guide_builder.measure.nvml import Nvml
        from guide_builder.measure.telemetry import Sampler
        from guide_builder.measure.timing import Timer

        self.torch = torch
        self.nvml = Nvml()
        self.handle = (
            self.nvml.handle(self.target["index"]) if self.target.get("index") is not None else None
        )
        self.device: Device = make_device(self.target["kind"], used_gib=self._nvml_used_gib)
        self.timer = Timer(self.device)
        self.emit("env", {**_environment(torch), "host_rss_method": self.rss.method})
        self.sampler = Sampler(
            self.nvml,
            self.target.get("index"),
            self.bench_id,
            lambda row: self.emit("telemetry", row),
            self.cfg.telemetry_hz,
        )
        if self.cfg.telemetry:
            self.sampler.start()
        try:
            self._probes()
            for item in self.job["items"]:
                self.run_configuration(item)
        finally:
            self.sampler.stop()
        self.emit("done")

    def _nvml_used_gib(self) -> float | None:
        """Device memory in use by every process (NVML), for the memory cap's overhead."""
        if self.handle is None:
            return None
        return self.nvml.read(
            "nvmlDeviceGetMemoryInfo", self.handle, convert=lambda m: m.used / 2**30
        )

    # -- probes -------------------------------------------------------------------------
    def _probes(self) -> None:
        skip = set(self.job.get("skip_probes", []))
        if not self.job.get("probes"):
            return
        from guide_builder.measure import probes

        load, model_dir = None, None
        if self.cfg.weights == "real":
            w = workload_registry.get(self.cfg.workloads[0])
            dtype = self.torch.bfloat16

            def load():
                pipe = w.family.build("real", "cpu", dtype, self._options())
                del pipe
                gc.collect()

            model_dir = _local_dir(self.cfg.model_path)
        steps = probes.plan(
            self.device,
            self.timer,
            self.nvml,
            self.target.get("index"),
            self.cfg.weights,
            load,
            model_dir,
        )
        for probe, _unit, fn in steps:
            if probe in skip:
                continue
            self.emit("begin", {"key": f"probe:{probe}", "phase": "probe"})
            self.emit("probe", {**self._probe_base(), **probes.run(probe, fn, self.device)})
        self.emit("begin", {"key": None, "phase": ""})

    def _probe_base(self) -> dict[str, Any]:
        return device_columns(self.bench_id, self.target)

    def _options(self) -> dict[str, Any]:
        return {"model_path": self.cfg.model_path, "allow_download": self.cfg.allow_download}

    # -- one configuration -----------------------------------------------------------------
    def run_configuration(self, item: dict[str, Any]) -> None:
        w = workload_registry.get(item["workload"])
        v = variant_registry.get(item["variant"])
        cap = item["cap"]
        done = {p: tuple(x) for p, x in item.get("done", {}).items()}
        base = configuration_columns(self.bench_id, self.target, self.cfg, item)
        seed = base["seed"]
        key = item["key"]
        self.phase = "first"
        self.emit("begin", {"key": key, "phase": self.phase})
        pipe = maker = None
        failure: BaseException | None = None
        self.rss.reset()  # the peak host RSS of this configuration: build, placement and images
        try:
            maker, pipe = self._prepare(w, v, (base["width"], base["height"]), cap)
            self._phases(maker, w, seed, base, key, done, capped=cap is not None)
            if self.cfg.quality_prompts and cap is None:
                self._quality(maker, w, v.name, seed, base)
        except Exception as exc:  # OOM, CUDA errors, anything a workload raises
            failure = exc
        # references to the failed frame's tensors are dropped here, outside the except block,
        # so gc + empty_cache can actually return the memory before the next configuration.
        # The exception's traceback holds those frames (the pipeline, the activations) too: keep
        # only its text, or the memory stays allocated and inflates the next configuration's peak
        status = error = None
        poisoned = False
        if failure is not None:
            status = "oom" if self.device.is_oom(failure) else "error"
            error = describe_exception(failure)
            poisoned = "CUDA error" in str(failure)
        if maker is not None:
            maker.close()
        del maker, pipe, failure
        gc.collect()
        self.device.empty_cache()
        if status is not None:
            self._emit_row(
                {**base, "peak_host_rss_gib": self.rss.peak_gib()},
                self.phase,
                status=status,
                error=error,
            )
        self.device.set_memory_cap(None)
        self.emit("end_config", key)
        if poisoned:
            # a CUDA error poisons the process: ask the parent for a fresh one for the rest
            self.emit("restart", error)
            raise SystemExit(0)

    def _prepare(self, w, v, size, cap):
        from guide_builder.measure.generate import ImageMaker

        dtypes = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}
        dtype = getattr(self.torch, dtypes[w.dtype])
        dev = self.device
        if v.build_on_cpu and self.cfg.weights == "synthetic" and dev.kind == "cuda":
            # initialising 10 B parameters is quick on the GPU and slow on the CPU: materialise
            # there uncapped, then hand the weights to host RAM where the variant expects them
            pipe = w.family.build("synthetic", dev.torch_device, dtype, self._options())
            pipe.to("cpu")
            dev.empty_cache()
        else:
            # the cap comes first, so a pipeline that cannot load on a smaller card OOMs loading
            dev.set_memory_cap(cap)
            build_on = "cpu" if v.build_on_cpu else dev.torch_device
            pipe = w.family.build(self.cfg.weights, build_on, dtype, self._options())
        dev.set_memory_cap(cap)
        if cap is not None:
            self.emit("env", {"memory_cap_overhead_gib": dev.cap_overhead_gib})
        dev.reset_peak()
        pipe.set_progress_bar_config(disable=True)
        if self.cfg.attention_backend:
            pipe.transformer.set_attention_backend(self.cfg.attention_backend)
        call_kwargs = v.prepare(pipe, w.family, w, self.device)
        return ImageMaker(pipe, w, size, self.timer, call_kwargs), pipe

    def _phases(self, maker, w, seed, base, key, done, capped: bool) -> None:
        cfg = self.cfg

        def count(phase):
            return done.get(phase, (0, 0.0))

        if capped:
            # under a cap only memory is representative: does it load, run, and how high it peaks
            if count("first")[0] < 1:
                self._image(maker, w, seed, base, key, "first")
            if count("memory")[0] < 1:
                self._image(maker, w, seed, base, key, "memory", reset_peak=True)
            return
        # warm-up calls always run (a fresh process is cold); already-recorded ones are not re-written
        for phase, calls in (("first", 1), ("warmup", cfg.warmup)):
            for i in range(calls):
                self._image(maker, w, seed, base, key, phase, record=i >= count(phase)[0])
        n, seconds = count("timed")
        while n < cfg.min_iterations or seconds < cfg.min_seconds:
            row = self._image(maker, w, seed, base, key, "timed")
            n, seconds = n + 1, seconds + (row.get("total_s") or 0.0)
        if count("memory")[0] < 1:
            self._image(maker, w, seed, base, key, "memory", reset_peak=True)
        for _ in range(count("stability")[0], cfg.stability):
            self._image(maker, w, seed, base, key, "stability", reset_peak=True)
        soak_left = cfg.soak_minutes * 60 - count("soak")[1]
        end = time.monotonic() + soak_left
        while soak_left > 0 and time.monotonic() < end:
            self._image(maker, w, seed, base, key, "soak")

    def _quality(self, maker, w, variant: str, seed: int, base: dict[str, Any]) -> None:
        """Render the fixed prompt set; compare each image with plain's (after all timing)."""
        from guide_builder.measure import quality

        dev = self.device.torch_device
        encoder = maker.extras.get("_unloaded")
        for i, prompt in enumerate(quality.PROMPTS):
            overrides: dict[str, Any] = {"prompt": prompt}
            if encoder is not None:  # unloaded: borrow it back for this prompt only
                maker.pipe.text_encoder = encoder.to(dev)
                try:
                    overrides = w.family.encode(maker.pipe, prompt, dev)
                finally:
                    maker.pipe.text_encoder = None
                    encoder.to("cpu")
                    self.device.empty_cache()
            pixels = quality.to_uint8(maker(seed, overrides).images)
            rel = f"images/{w.name}/{variant}/{i}.png"
            self.emit("image", {"path": rel, "png": quality.png_bytes(pixels)})
            if variant == quality.REFERENCE_VARIANT:
                self.quality_refs[(w.name, i)] = pixels
                continue
            reference = self._reference(w.name, i)
            if reference is None:
                continue  # no plain image of this prompt: nothing to compare with
            self.emit(
                "quality",
                {
                    "bench_id": self.bench_id,
                    "gpu_uuid": base.get("gpu_uuid"),
                    "device": base["device"],
                    "weights": base["weights"],
                    "workload": w.name,
                    "variant": variant,
                    "prompt_index": i,
                    "reference_variant": quality.REFERENCE_VARIANT,
                    **quality.compare(pixels, reference),
                    "image": rel,
                },
            )

    def _reference(self, workload: str, index: int):
        """plain's image of a prompt: from this worker, or as an earlier worker saved it."""
        from pathlib import Path

        from guide_builder.measure import quality

        if (workload, index) not in self.quality_refs:
            path = (
                Path(self.cfg.out)
                / self.bench_id
                / f"images/{workload}/{quality.REFERENCE_VARIANT}/{index}.png"
            )
            if path.is_file():
                self.quality_refs[(workload, index)] = quality.read_png(path.read_bytes())
        return self.quality_refs.get((workload, index))

    def _image(
        self, maker, w, seed, base, key, phase, record=True, reset_peak=False
    ) -> dict[str, Any]:
        self.phase = phase
        if not record:
            maker(seed)
            return {}
        self.emit("begin", {"key": key, "phase": phase})
        index = self.next_index
        if reset_peak:
            self.device.reset_peak()
        self.sampler.begin(index, phase)
        e0 = self.nvml.energy_j(self.handle) if self.handle is not None else None
        try:
            result = maker(seed)
        finally:
            stats = self.sampler.end()
        e1 = self.nvml.energy_j(self.handle) if self.handle is not None else None
        problems = []
        if result.forwards != w.forwards:
            problems.append(f"transformer forwards {result.forwards} != expected {w.forwards}")
        if not result.finite:
            problems.append(
                "non-finite latents (NaN/inf): the image is black and its hash meaningless"
            )
        peak_alloc, peak_res = (
            self.device.peak_gib() if (reset_peak or phase == "first") else (None, None)
        )
        row = {
            **base,
            **stats,
            "transformer_forwards": result.forwards,
            "caption_tokens": result.caption_tokens,
            "started_at": result.started_at,
            "total_s": result.total_s,
            "text_encode_s": result.text_encode_s,
            "denoise_s": result.denoise_s,
            "decode_s": result.decode_s,
            "peak_allocated_gib": peak_alloc,
            "peak_reserved_gib": peak_res,
            "energy_j": (e1 - e0) if e0 is not None and e1 is not None else None,
            "peak_host_rss_gib": self.rss.peak_gib(),
            "image_sha256": result.sha256 if result.finite else None,
        }
        return self._emit_row(
            row, phase, status="error" if problems else "ok", error="; ".join(problems) or None
        )

    def _emit_row(
        self, row: dict[str, Any], phase: str, status: str, error: str | None
    ) -> dict[str, Any]:
        row = {
            **row,
            "run_index": self.next_index,
            "phase": phase,
            "status": status,
            "error": error,
        }
        self.next_index += 1
        self.emit("run", row)
        return row


def _quiet_libraries() -> None:
    import warnings

    warnings.filterwarnings("ignore")
    try:
        from diffusers.utils import logging as dlog
        from transformers.utils import logging as tlog

        dlog.set_verbosity_error()
        tlog.set_verbosity_error()
    except ImportError:
        pass


def _environment(torch: Any) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    def ver(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    env = {
        "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda,
        "diffusers_version": ver("diffusers"),
        "transformers_version": ver("transformers"),
        "accelerate_version": ver("accelerate"),
    }
    if torch.cuda.is_available():
        env["cudnn_version"] = torch.backends.cudnn.version()
    return env


def _local_dir(model_path: str | None):
    from pathlib import Path

    return Path(model_path) if model_path and Path(model_path).is_dir() else None
