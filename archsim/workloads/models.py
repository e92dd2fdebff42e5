"""Transformer model configurations: the :class:`ModelConfig` dataclass, the
named presets (real published configurations, each citing its source) and a
reader for local Hugging Face ``config.json`` files.

Sizes are in elements (hidden size, FFN size, vocabulary entries); parameter
counts are numbers of weights (not bytes).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from archsim.core.errors import ConfigError, require_choice, require_positive_int

ARCHS = ("decoder", "encoder")
FFN_TYPES = ("gelu", "relu", "swiglu")  # gelu/relu: 2 matrices (up, down); swiglu: 3 (gate, up, down)
NORM_TYPES = ("layernorm", "rmsnorm")
POSITION_EMBEDDINGS = ("learned", "rope")


@dataclass(frozen=True)
class ModelConfig:
    """A transformer's shape, enough to generate its operator trace.

    Attributes:
        name: preset name, e.g. ``"llama2-7b"``.
        family: model family (``"llama"``, ``"gpt2"``, ``"mixtral"``, ``"vit"``, ...).
        arch: ``"decoder"`` (causal, autoregressive) or ``"encoder"`` (bidirectional: BERT, ViT).
        hidden_size: model width d (elements).
        num_layers: transformer blocks.
        num_heads: query heads.
        num_kv_heads: key/value heads (= num_heads: MHA; 1: MQA; in between: GQA). Default num_heads.
        head_dim: elements per head. Default hidden_size / num_heads.
        intermediate_size: dense FFN inner size (0 for MoE models whose every layer is MoE).
        ffn_type: ``"gelu"`` / ``"relu"`` (2 matrices) or ``"swiglu"`` (gate, up, down).
        vocab_size: token vocabulary (0 for vision models).
        max_positions: longest sequence (tokens) the model was configured for.
        norm_type: ``"layernorm"`` or ``"rmsnorm"``.
        pre_norm: True for pre-LN blocks (GPT-2, Llama); False for post-LN (BERT, OPT-350M).
        position_embedding: ``"learned"`` (a max_positions x hidden table) or ``"rope"`` (no weights).
        tied_embeddings: the LM head reuses the token embedding matrix.
        embed_dim: token-embedding width if it differs from hidden_size (OPT-350M: 512, with
            project_in/project_out matrices); None = hidden_size.
        sliding_window: attention window (tokens) or None for full attention (Mistral-7B: 4096).
        num_experts: routed experts per MoE layer (0 = dense model).
        top_k: experts each token is routed to.
        expert_intermediate_size: inner size of each routed expert's SwiGLU FFN.
        shared_expert_intermediate_size: inner size of an always-active shared expert (0 = none).
        shared_expert_gate: the shared expert's output is scaled by a sigmoid gate (a hidden x 1 matrix).
        first_dense_layers: MoE models: the first layers use a dense FFN of ``intermediate_size``
            (DeepSeek-V3 ``first_k_dense_replace``).
        q_lora_rank, kv_lora_rank, qk_rope_head_dim, v_head_dim: multi-head latent attention (MLA,
            DeepSeek-V2/V3): queries through a rank-``q_lora_rank`` bottleneck (0 = a plain projection),
            keys/values cached as one ``kv_lora_rank`` latent plus a shared ``qk_rope_head_dim`` RoPE key
            per token; ``head_dim`` = query/key width per head (no-RoPE + RoPE parts), ``v_head_dim`` =
            value width.  ``kv_lora_rank = 0`` = ordinary attention.
        image_size, patch_size, num_channels: vision models (sequence = (image/patch)^2 + 1 CLS token).
        num_classes: classifier outputs of vision models (0 = no head).
        source: citation for the numbers (paper table or model card).
        published_params: total parameters as published by ``source`` (None if not published).
        published_active_params: parameters active per token (MoE), as published.
    """

    name: str
    family: str
    arch: str
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int | None = None
    head_dim: int | None = None
    intermediate_size: int = 0
    ffn_type: str = "gelu"
    vocab_size: int = 0
    max_positions: int = 2048
    norm_type: str = "layernorm"
    pre_norm: bool = True
    position_embedding: str = "learned"
    tied_embeddings: bool = False
    embed_dim: int | None = None
    sliding_window: int | None = None
    num_experts: int = 0
    top_k: int = 0
    expert_intermediate_size: int = 0
    shared_expert_intermediate_size: int = 0
    shared_expert_gate: bool = False
    first_dense_layers: int = 0
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    image_size: int = 0
    patch_size: int = 0
    num_channels: int = 3
    num_classes: int = 0
    source: str = ""
    published_params: int | None = None
    published_active_params: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name must be a non-empty string, not {self.name!r}")
        if not isinstance(self.family, str) or not self.family:
            raise ConfigError(f"family must be a non-empty string, not {self.family!r}")
        require_choice("arch", self.arch, ARCHS)
        for f in ("hidden_size", "num_layers", "num_heads", "max_positions", "num_channels"):
            require_positive_int(f, getattr(self, f))
        if self.num_kv_heads is None:
            object.__setattr__(self, "num_kv_heads", self.num_heads)
        require_positive_int("num_kv_heads", self.num_kv_heads)
        if self.num_heads % self.num_kv_heads:
            raise ConfigError(f"num_kv_heads must divide num_heads ({self.num_heads}), not {self.num_kv_heads!r}")
        if self.head_dim is None:
            if self.hidden_size % self.num_heads:
                raise ConfigError(
                    f"head_dim must be given when num_heads ({self.num_heads}) does not divide "
                    f"hidden_size ({self.hidden_size})"
                )
            object.__setattr__(self, "head_dim", self.hidden_size // self.num_heads)
        require_positive_int("head_dim", self.head_dim)
        require_choice("ffn_type", self.ffn_type, FFN_TYPES)
        require_choice("norm_type", self.norm_type, NORM_TYPES)
        require_choice("position_embedding", self.position_embedding, POSITION_EMBEDDINGS)
        for f in ("pre_norm", "tied_embeddings", "shared_expert_gate"):
            if not isinstance(getattr(self, f), bool):
                raise ConfigError(f"{f} must be true or false, not {getattr(self, f)!r}")
        for f in (
            "intermediate_size",
            "vocab_size",
            "num_experts",
            "top_k",
            "expert_intermediate_size",
            "shared_expert_intermediate_size",
            "first_dense_layers",
            "q_lora_rank",
            "kv_lora_rank",
            "qk_rope_head_dim",
            "v_head_dim",
            "image_size",
            "patch_size",
            "num_classes",
        ):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ConfigError(f"{f} must be a non-negative integer, not {v!r}")
        for f in ("embed_dim", "sliding_window", "published_params", "published_active_params"):
            if getattr(self, f) is not None:
                require_positive_int(f, getattr(self, f))
        if self.kv_lora_rank and not self.v_head_dim:
            raise ConfigError("v_head_dim must be positive for multi-head latent attention (kv_lora_rank > 0)")
        if self.first_dense_layers:
            if not self.num_experts or self.first_dense_layers > self.num_layers:
                raise ConfigError(f"first_dense_layers must be 0 for a dense model and at most num_layers, "
                                  f"not {self.first_dense_layers!r}")
            require_positive_int("intermediate_size", self.intermediate_size)
        if self.num_experts:
            if not 1 <= self.top_k <= self.num_experts:
                raise ConfigError(f"top_k must be between 1 and num_experts ({self.num_experts}), not {self.top_k!r}")
            require_positive_int("expert_intermediate_size", self.expert_intermediate_size)
        else:
            require_positive_int("intermediate_size", self.intermediate_size)
            for f in ("top_k", "expert_intermediate_size", "shared_expert_intermediate_size"):
                if getattr(self, f):
                    raise ConfigError(f"{f} must be 0 for a dense model (num_experts = 0), not {getattr(self, f)!r}")
        if self.image_size or self.patch_size:
            require_positive_int("image_size", self.image_size)
            require_positive_int("patch_size", self.patch_size)
            if self.image_size % self.patch_size:
                raise ConfigError(f"patch_size must divide image_size ({self.image_size}), not {self.patch_size!r}")
            if self.arch != "encoder":
                raise ConfigError(f"arch must be encoder for a vision model, not {self.arch!r}")
        else:
            require_positive_int("vocab_size", self.vocab_size)
        if not isinstance(self.source, str):
            raise ConfigError(f"source must be a string, not {self.source!r}")

    # -- derived shapes ------------------------------------------------
    @property
    def is_moe(self) -> bool:
        """True if the FFN of every layer is a mixture of experts."""
        return self.num_experts > 0

    @property
    def is_vision(self) -> bool:
        """True for ViT-style models (image patches instead of tokens)."""
        return self.image_size > 0

    @property
    def kv_groups(self) -> int:
        """Query heads sharing one KV head (1 = MHA)."""
        return self.num_heads // self.num_kv_heads

    @property
    def num_patches(self) -> int:
        """Image patches per image (0 for text models)."""
        return (self.image_size // self.patch_size) ** 2 if self.is_vision else 0

    @property
    def vision_seq_len(self) -> int:
        """Sequence length of a vision model: patches + 1 CLS token (0 for text models)."""
        return self.num_patches + 1 if self.is_vision else 0

    @property
    def token_embed_dim(self) -> int:
        """Width of the token embedding table (elements)."""
        return self.embed_dim or self.hidden_size

    # -- parameter counts -----------------------------------------------
    def layer_params(self, *, active: bool = False) -> int:
        """Return the weights of one transformer block (matrices only; biases and norm scales excluded).

        With ``active=True`` a MoE layer counts only ``top_k`` routed experts (weights one token uses).
        """
        return self._layer_params(active=active, dense=not self.is_moe)

    @property
    def is_mla(self) -> bool:
        """True for multi-head latent attention (DeepSeek-V2/V3)."""
        return self.kv_lora_rank > 0

    def attention_params(self) -> int:
        """Return the attention weights of one block (matrices only)."""
        h, hd, nh = self.hidden_size, self.head_dim, self.num_heads
        if self.is_mla:
            q = h * self.q_lora_rank + self.q_lora_rank * nh * hd if self.q_lora_rank else h * nh * hd
            kv = h * (self.kv_lora_rank + self.qk_rope_head_dim)
            kv += self.kv_lora_rank * nh * (hd - self.qk_rope_head_dim + self.v_head_dim)
            return q + kv + nh * self.v_head_dim * h
        return h * (nh + 2 * self.num_kv_heads) * hd + nh * hd * h

    def _layer_params(self, *, active: bool, dense: bool) -> int:
        h = self.hidden_size
        attn = self.attention_params()
        mats = 3 if self.ffn_type == "swiglu" else 2
        if dense:
            return attn + mats * h * self.intermediate_size
        experts = self.top_k if active else self.num_experts
        ffn = experts * 3 * h * self.expert_intermediate_size + h * self.num_experts  # experts + router
        ffn += 3 * h * self.shared_expert_intermediate_size + (h if self.shared_expert_gate else 0)
        return attn + ffn

    def embedding_params(self) -> int:
        """Return the weights outside the blocks: token/position embeddings, an untied LM head,
        OPT-style projections, ViT patch embedding, CLS token and classifier."""
        h = self.hidden_size
        if self.is_vision:
            patch = self.num_channels * self.patch_size**2 * h
            return patch + self.vision_seq_len * h + h + h * self.num_classes
        e = self.token_embed_dim
        n = self.vocab_size * e * (1 if self.tied_embeddings else 2)
        if self.position_embedding == "learned":
            n += self.max_positions * h
        if self.embed_dim and self.embed_dim != h:
            n += 2 * e * h
        return n

    def param_count(self, *, active: bool = False) -> int:
        """Return the total weights (matrices and embeddings; biases and norm scales excluded)."""
        k = self.first_dense_layers
        blocks = (self.num_layers - k) * self.layer_params(active=active)
        blocks += k * self._layer_params(active=active, dense=True)
        return blocks + self.embedding_params()

    # -- (de)serialization ----------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the config as a plain dict with the field names (YAML/JSON ready)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Return a config from a dict with the field names of :meth:`to_dict`."""
        if not isinstance(data, dict):
            raise ConfigError(f"model config must be a mapping, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown model field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")
        try:
            return cls(**data)
        except TypeError as exc:  # missing required fields
            raise ConfigError(f"model config is incomplete: {exc}") from None


# ---------------------------------------------------------------------------
# registry


def _presets() -> dict[str, ModelConfig]:
    from archsim.workloads._model_presets import PRESETS

    return PRESETS


_ALIASES = {
    "gpt2-124m": "gpt2",
    "gpt2-small": "gpt2",
    "gpt2-355m": "gpt2-medium",
    "gpt2-774m": "gpt2-large",
    "gpt2-1.5b": "gpt2-xl",
    "gpt-3": "gpt3-175b",
    "gpt3": "gpt3-175b",
    "bert-base-uncased": "bert-base",
    "bert-large-uncased": "bert-large",
    "vit-b/16": "vit-b16",
    "vit-base-patch16-224": "vit-b16",
    "deit-small": "deit-s",
    "mistral-7b-v0.1": "mistral-7b",
    "qwen2-moe-57b": "qwen2-57b-a14b",
    "deepseek-r1": "deepseek-v3",
    "deepseek-v3-671b": "deepseek-v3",
    "llama-3.1-405b": "llama3-405b",
}


def _normalize(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    for long, short in (("llama-3.2-", "llama3.2-"), ("llama-3-", "llama3-"), ("llama-2-", "llama2-")):
        key = key.replace(long, short)
    return _ALIASES.get(key, key)


def list_models() -> list[str]:
    """Return the preset names, in a stable order (by family, then size)."""
    return list(_presets())


def models_table() -> list[dict[str, Any]]:
    """Return one plain dict per preset (for ``archsim models``): name, family, arch, layers, hidden,
    heads, kv_heads, experts, params (weights counted from the config), published_params, source."""
    rows = []
    for m in _presets().values():
        rows.append(
            {
                "name": m.name,
                "family": m.family,
                "arch": m.arch,
                "layers": m.num_layers,
                "hidden": m.hidden_size,
                "heads": m.num_heads,
                "kv_heads": m.num_kv_heads,
                "experts": f"{m.top_k}/{m.num_experts}" if m.is_moe else "",
                "params": m.param_count(),
                "published_params": m.published_params,
                "source": m.source,
            }
        )
    return rows


def get_model(name: str | ModelConfig) -> ModelConfig:
    """Return the preset called ``name`` (case-insensitive), or the config in a ``.yaml``/``.json`` file.

    A ``config.json`` with a ``model_type`` key is read as a Hugging Face config
    (:func:`load_hf_config`); other files must use the :class:`ModelConfig` field names.
    """
    if isinstance(name, ModelConfig):
        return name
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"model must be a preset name or a config file, not {name!r}")
    presets = _presets()
    key = _normalize(name)
    if key in presets:
        return presets[key]
    if len(name) > 4096:
        raise ConfigError(f"model must be a preset name or a config file, not a {len(name)}-character string")
    path = Path(name)
    try:
        is_dir = path.is_dir()
    except OSError:  # e.g. a name component longer than the file system allows
        is_dir = False
    if path.suffix.lower() in (".yaml", ".yml", ".json") or is_dir:
        return load_model_file(path)
    close = difflib.get_close_matches(key, list(presets), n=4, cutoff=0.5)
    hint = f" (close matches: {', '.join(close)})" if close else " (see `archsim models`)"
    raise ConfigError(f"model must be a preset name or a config file, not {name!r}{hint}")


def load_model_file(path: str | Path) -> ModelConfig:
    """Return the model described by a YAML/JSON file (our field names, or a Hugging Face config.json)."""
    path = Path(path)
    if path.is_dir():
        return load_hf_config(path)
    if not path.exists():
        raise ConfigError(f"model file {str(path)!r} does not exist")
    from archsim.core.fields import load_yaml_text

    data = load_yaml_text(path.read_text(), f"model file {str(path)!r}")  # YAML is a superset of JSON
    if isinstance(data, dict) and "model_type" in data:
        return load_hf_config(path)
    return ModelConfig.from_dict(data)


# ---------------------------------------------------------------------------
# Hugging Face config.json


_GELU = ("gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu")


def load_hf_config(path: str | Path, *, name: str | None = None) -> ModelConfig:
    """Return a :class:`ModelConfig` read from a local Hugging Face ``config.json`` (no network).

    ``path`` is the file or the directory holding it.  Supported ``model_type``:
    llama, mistral, mixtral, qwen2, qwen2_moe, deepseek_v3 (and deepseek_v2), gpt2, opt, bert, vit, deit.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "config.json"
    if not path.exists():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    try:
        cfg = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a JSON object")
    mtype = cfg.get("model_type")
    model_name = name or str(cfg.get("_name_or_path") or path.parent.name or path.stem)
    src = f"Hugging Face config.json ({path})"

    def get(key: str, default: Any = ...) -> Any:
        if key in cfg and cfg[key] is not None:
            return cfg[key]
        if default is ...:
            raise ConfigError(f"config file {str(path)!r}: missing key {key!r} for model_type {mtype!r}")
        return default

    common: dict[str, Any] = {"name": model_name, "source": src}
    if mtype in ("llama", "mistral", "mixtral", "qwen2", "qwen2_moe"):
        act = get("hidden_act", "silu")
        if act not in ("silu", "swish"):
            raise ConfigError(f"config file {str(path)!r}: hidden_act must be silu for {mtype}, not {act!r}")
        heads = get("num_attention_heads")
        out = dict(
            common,
            family=mtype,
            arch="decoder",
            hidden_size=get("hidden_size"),
            num_layers=get("num_hidden_layers"),
            num_heads=heads,
            num_kv_heads=get("num_key_value_heads", heads),
            head_dim=get("head_dim", None),
            ffn_type="swiglu",
            vocab_size=get("vocab_size"),
            max_positions=get("max_position_embeddings"),
            norm_type="rmsnorm",
            position_embedding="rope",
            tied_embeddings=bool(get("tie_word_embeddings", False)),
        )
        if mtype in ("mistral", "mixtral") or (mtype.startswith("qwen2") and get("use_sliding_window", False)):
            out["sliding_window"] = get("sliding_window", None)
        if mtype == "mixtral":
            out.update(
                num_experts=get("num_local_experts"),
                top_k=get("num_experts_per_tok"),
                expert_intermediate_size=get("intermediate_size"),
            )
        elif mtype == "qwen2_moe":
            if get("decoder_sparse_step", 1) != 1 or get("mlp_only_layers", []):
                raise ConfigError(
                    f"config file {str(path)!r}: decoder_sparse_step must be 1 and mlp_only_layers empty "
                    "(mixed dense/MoE stacks are not supported)"
                )
            shared = get("shared_expert_intermediate_size", 0)
            out.update(
                num_experts=get("num_experts"),
                top_k=get("num_experts_per_tok"),
                expert_intermediate_size=get("moe_intermediate_size"),
                shared_expert_intermediate_size=shared,
                shared_expert_gate=shared > 0,
            )
        else:
            out["intermediate_size"] = get("intermediate_size")
    elif mtype in ("deepseek_v3", "deepseek_v2"):
        heads = get("num_attention_heads")
        nope, rope = get("qk_nope_head_dim"), get("qk_rope_head_dim")
        moe = get("moe_intermediate_size")
        out = dict(
            common,
            family=mtype,
            arch="decoder",
            hidden_size=get("hidden_size"),
            num_layers=get("num_hidden_layers"),
            num_heads=heads,
            num_kv_heads=get("num_key_value_heads", heads),
            head_dim=nope + rope,
            intermediate_size=get("intermediate_size"),
            ffn_type="swiglu",
            vocab_size=get("vocab_size"),
            max_positions=get("max_position_embeddings"),
            norm_type="rmsnorm",
            position_embedding="rope",
            tied_embeddings=bool(get("tie_word_embeddings", False)),
            num_experts=get("n_routed_experts"),
            top_k=get("num_experts_per_tok"),
            expert_intermediate_size=moe,
            shared_expert_intermediate_size=get("n_shared_experts", 0) * moe,
            first_dense_layers=get("first_k_dense_replace", 0),
            q_lora_rank=get("q_lora_rank", 0) or 0,
            kv_lora_rank=get("kv_lora_rank"),
            qk_rope_head_dim=rope,
            v_head_dim=get("v_head_dim"),
        )
    elif mtype == "gpt2":
        h = get("n_embd")
        act = get("activation_function", "gelu_new")
        out = dict(
            common,
            family="gpt2",
            arch="decoder",
            hidden_size=h,
            num_layers=get("n_layer"),
            num_heads=get("n_head"),
            intermediate_size=get("n_inner", 4 * h),
            ffn_type="relu" if act == "relu" else "gelu",
            vocab_size=get("vocab_size"),
            max_positions=get("n_positions"),
            tied_embeddings=bool(get("tie_word_embeddings", True)),
        )
    elif mtype == "opt":
        h = get("hidden_size")
        proj = get("word_embed_proj_dim", h)
        out = dict(
            common,
            family="opt",
            arch="decoder",
            hidden_size=h,
            num_layers=get("num_hidden_layers"),
            num_heads=get("num_attention_heads"),
            intermediate_size=get("ffn_dim"),
            ffn_type="gelu" if get("activation_function", "relu") in _GELU else "relu",
            vocab_size=get("vocab_size"),
            max_positions=get("max_position_embeddings"),
            pre_norm=bool(get("do_layer_norm_before", True)),
            tied_embeddings=bool(get("tie_word_embeddings", True)),
            embed_dim=proj if proj != h else None,
        )
    elif mtype == "bert":
        out = dict(
            common,
            family="bert",
            arch="encoder",
            hidden_size=get("hidden_size"),
            num_layers=get("num_hidden_layers"),
            num_heads=get("num_attention_heads"),
            intermediate_size=get("intermediate_size"),
            ffn_type="relu" if get("hidden_act", "gelu") == "relu" else "gelu",
            vocab_size=get("vocab_size"),
            max_positions=get("max_position_embeddings"),
            pre_norm=False,
            tied_embeddings=bool(get("tie_word_embeddings", True)),
        )
    elif mtype in ("vit", "deit"):
        labels = cfg.get("id2label") or {}
        out = dict(
            common,
            family=mtype,
            arch="encoder",
            hidden_size=get("hidden_size"),
            num_layers=get("num_hidden_layers"),
            num_heads=get("num_attention_heads"),
            intermediate_size=get("intermediate_size"),
            ffn_type="gelu",
            image_size=get("image_size"),
            patch_size=get("patch_size"),
            num_channels=get("num_channels", 3),
            num_classes=len(labels) if isinstance(labels, dict) else 0,
        )
        out["max_positions"] = (out["image_size"] // max(out["patch_size"], 1)) ** 2 + 1
    else:
        allowed = "llama, mistral, mixtral, qwen2, qwen2_moe, deepseek_v3, deepseek_v2, gpt2, opt, bert, vit, deit"
        raise ConfigError(f"model_type must be one of {allowed}, not {mtype!r} (in {str(path)!r})")
    if out.get("head_dim") is None:
        out.pop("head_dim", None)
    return ModelConfig(**out)
