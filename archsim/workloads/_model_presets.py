"""Named model presets: published configurations, each with its source.

Numbers are copied from the cited paper table or the model's Hugging Face
``config.json`` / model card.  ``published_params`` is the total the source
states (rounded as published); where a paper gives only a nominal size
("7B"), the exact-ish total shown on the Hugging Face model page (computed
from the released safetensors) is used and cited as such.
"""

from __future__ import annotations

from archsim.workloads.models import ModelConfig

M = 1_000_000
B = 1_000_000_000


def _gpt2(name: str, hidden: int, layers: int, heads: int, params: int, card: str) -> ModelConfig:
    # Radford et al. 2019 "Language Models are Unsupervised Multitask Learners", Table 2 (layers, d_model);
    # Hugging Face config.json: n_positions 1024, vocab_size 50257, n_inner = 4 x n_embd, gelu_new, tied wte.
    return ModelConfig(
        name=name, family="gpt2", arch="decoder", hidden_size=hidden, num_layers=layers, num_heads=heads,
        intermediate_size=4 * hidden, ffn_type="gelu", vocab_size=50257, max_positions=1024,
        norm_type="layernorm", pre_norm=True, position_embedding="learned", tied_embeddings=True,
        source=f"Radford et al. 2019, Table 2; Hugging Face {card} config.json and model card",
        published_params=params,
    )


def _bert(name: str, hidden: int, layers: int, heads: int, params: int) -> ModelConfig:
    # Devlin et al. 2019 "BERT", Sec. 3: BASE (L=12, H=768, A=12, 110M), LARGE (L=24, H=1024, A=16, 340M);
    # feed-forward size 4H; Hugging Face bert-base-uncased config.json: vocab 30522, 512 positions.
    return ModelConfig(
        name=name, family="bert", arch="encoder", hidden_size=hidden, num_layers=layers, num_heads=heads,
        intermediate_size=4 * hidden, ffn_type="gelu", vocab_size=30522, max_positions=512,
        norm_type="layernorm", pre_norm=False, position_embedding="learned", tied_embeddings=True,
        source="Devlin et al. 2019, BERT, Sec. 3 (L, H, A, total parameters); HF bert config.json",
        published_params=params,
    )


def _opt(name: str, hidden: int, layers: int, heads: int, params: int, **kw) -> ModelConfig:
    # Zhang et al. 2022 "OPT: Open Pre-trained Transformer Language Models", Table 1 (#L, #H, d_model);
    # HF facebook/opt-* config.json: ffn_dim = 4 d_model, relu, vocab_size 50272, 2048 positions, tied.
    return ModelConfig(
        name=name, family="opt", arch="decoder", hidden_size=hidden, num_layers=layers, num_heads=heads,
        intermediate_size=4 * hidden, ffn_type="relu", vocab_size=50272, max_positions=2048,
        norm_type="layernorm", position_embedding="learned", tied_embeddings=True,
        source="Zhang et al. 2022, OPT, Table 1; Hugging Face facebook/" + name + " config.json",
        published_params=params, **kw,
    )


def _llama(name: str, family: str, hidden: int, layers: int, heads: int, kv: int, ffn: int, vocab: int,
           positions: int, params: int, source: str, **kw) -> ModelConfig:
    return ModelConfig(
        name=name, family=family, arch="decoder", hidden_size=hidden, num_layers=layers, num_heads=heads,
        num_kv_heads=kv, intermediate_size=ffn, ffn_type="swiglu", vocab_size=vocab, max_positions=positions,
        norm_type="rmsnorm", pre_norm=True, position_embedding="rope", source=source, published_params=params,
        **kw,
    )


_LIST = [
    # GPT-2: totals from the Hugging Face model cards ("124M", "355M", "774M", "1.5B parameters").
    _gpt2("gpt2", 768, 12, 12, 124 * M, "openai-community/gpt2"),
    _gpt2("gpt2-medium", 1024, 24, 16, 355 * M, "openai-community/gpt2-medium"),
    _gpt2("gpt2-large", 1280, 36, 20, 774 * M, "openai-community/gpt2-large"),
    _gpt2("gpt2-xl", 1600, 48, 25, 1500 * M, "openai-community/gpt2-xl"),
    _bert("bert-base", 768, 12, 12, 110 * M),
    _bert("bert-large", 1024, 24, 16, 340 * M),
    _opt("opt-125m", 768, 12, 12, 125 * M),
    # OPT-350M: post-LN (do_layer_norm_before=false) and word_embed_proj_dim 512 (HF config.json).
    _opt("opt-350m", 1024, 24, 16, 350 * M, pre_norm=False, embed_dim=512),
    _opt("opt-1.3b", 2048, 24, 32, 1300 * M),
    _opt("opt-2.7b", 2560, 32, 32, 2700 * M),
    _opt("opt-6.7b", 4096, 32, 32, 6700 * M),
    _opt("opt-13b", 5120, 40, 40, 13 * B),
    _opt("opt-30b", 7168, 48, 56, 30 * B),
    _opt("opt-66b", 9216, 64, 72, 66 * B),
    _opt("opt-175b", 12288, 96, 96, 175 * B),
    # Brown et al. 2020 "Language Models are Few-Shot Learners", Table 2.1: n_params 175.0B, n_layers 96,
    # d_model 12288, n_heads 96, d_head 128, n_ctx 2048; Sec. 2.1: GPT-2 architecture (FFN 4 d_model) and
    # GPT-2 tokenizer (vocab 50257). The alternating locally-banded sparse attention is modelled as dense.
    ModelConfig(
        name="gpt3-175b", family="gpt3", arch="decoder", hidden_size=12288, num_layers=96, num_heads=96,
        head_dim=128, intermediate_size=4 * 12288, ffn_type="gelu", vocab_size=50257, max_positions=2048,
        norm_type="layernorm", position_embedding="learned", tied_embeddings=True,
        source="Brown et al. 2020, GPT-3, Table 2.1 and Sec. 2.1", published_params=175 * B,
    ),
    # Touvron et al. 2023 "Llama 2", Table 1 (context 4k, GQA for 70B) and HF meta-llama/Llama-2-*-hf
    # config.json (hidden, layers, heads, kv heads, intermediate, vocab 32000). The paper gives nominal sizes;
    # totals are the HF model pages' parameter counts (6.74B, 13.0B, 69.0B).
    _llama("llama2-7b", "llama", 4096, 32, 32, 32, 11008, 32000, 4096, 6_740 * M,
           "Touvron et al. 2023, Llama 2, Table 1; HF meta-llama/Llama-2-7b-hf config.json and model page (6.74B)"),
    _llama("llama2-13b", "llama", 5120, 40, 40, 40, 13824, 32000, 4096, 13_000 * M,
           "Touvron et al. 2023, Llama 2, Table 1; HF meta-llama/Llama-2-13b-hf config.json and model page (13.0B)"),
    _llama("llama2-70b", "llama", 8192, 80, 64, 8, 28672, 32000, 4096, 69_000 * M,
           "Touvron et al. 2023, Llama 2, Table 1; HF meta-llama/Llama-2-70b-hf config.json and model page (69B)"),
    # Meta Llama 3 model card and HF meta-llama/Meta-Llama-3-*: GQA 8 kv heads, vocab 128256, 8k context;
    # totals from the HF model pages (8.03B, 70.6B).
    _llama("llama3-8b", "llama", 4096, 32, 32, 8, 14336, 128256, 8192, 8_030 * M,
           "Meta Llama 3 model card; HF meta-llama/Meta-Llama-3-8B config.json and model page (8.03B)"),
    _llama("llama3-70b", "llama", 8192, 80, 64, 8, 28672, 128256, 8192, 70_600 * M,
           "Meta Llama 3 model card; HF meta-llama/Meta-Llama-3-70B config.json and model page (70.6B)"),
    # Llama 3.2 model card ("1B (1.23B)" parameters); HF meta-llama/Llama-3.2-1B config.json: head_dim 64,
    # 128k context, tied embeddings.
    _llama("llama3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 131072, 1_230 * M,
           "Meta Llama 3.2 model card (1.23B); HF meta-llama/Llama-3.2-1B config.json",
           head_dim=64, tied_embeddings=True),
    # Jiang et al. 2023 "Mistral 7B", Table 1: dim 4096, n_layers 32, head_dim 128, hidden_dim 14336,
    # n_heads 32, n_kv_heads 8, window_size 4096, vocab 32000; HF Mistral-7B-v0.1: 32768 positions, 7.24B.
    _llama("mistral-7b", "mistral", 4096, 32, 32, 8, 14336, 32000, 32768, 7_240 * M,
           "Jiang et al. 2023, Mistral 7B, Table 1; HF mistralai/Mistral-7B-v0.1 config.json and model page",
           sliding_window=4096),
    # Jiang et al. 2024 "Mixtral of Experts", Table 1 (same dims as Mistral 7B, 32k context, 8 experts,
    # top-2); totals from the Mistral AI announcement "Mixtral of experts" (46.7B total, 12.9B per token).
    _llama("mixtral-8x7b", "mixtral", 4096, 32, 32, 8, 0, 32000, 32768, 46_700 * M,
           "Jiang et al. 2024, Mixtral of Experts, Table 1; mistral.ai/news/mixtral-of-experts (46.7B/12.9B)",
           num_experts=8, top_k=2, expert_intermediate_size=14336, published_active_params=12_900 * M),
    # HF mistralai/Mixtral-8x22B-v0.1 config.json (hidden 6144, 56 layers, 48 heads, 8 kv, 16384, 64k ctx);
    # Mistral AI announcement "Cheaper, Better, Faster, Stronger": 39B active of 141B.
    _llama("mixtral-8x22b", "mixtral", 6144, 56, 48, 8, 0, 32000, 65536, 141 * B,
           "HF mistralai/Mixtral-8x22B-v0.1 config.json; mistral.ai/news/mixtral-8x22b (141B total, 39B active)",
           num_experts=8, top_k=2, expert_intermediate_size=16384, published_active_params=39 * B),
    # Yang et al. 2024 "Qwen2 Technical Report", Table 1: hidden 3584, 28 layers, 28 query / 4 KV heads,
    # head 128, 64 routed experts (intermediate 2560), 8 activated, 8 shared experts; HF Qwen/Qwen2-57B-A14B
    # config.json: shared_expert_intermediate_size 20480 (= 8 x 2560, one gated shared FFN), vocab 151936,
    # qkv bias; 32k context (the report extends pre-training context to 32,768 tokens). Totals from the name
    # and the report: 57B total, 14B activated.
    _llama("qwen2-57b-a14b", "qwen2_moe", 3584, 28, 28, 4, 0, 151936, 32768, 57 * B,
           "Yang et al. 2024, Qwen2 Technical Report, Table 1; HF Qwen/Qwen2-57B-A14B config.json",
           num_experts=64, top_k=8, expert_intermediate_size=2560, shared_expert_intermediate_size=20480,
           shared_expert_gate=True, published_active_params=14 * B),
    # Dubey et al. 2024 "The Llama 3 Herd of Models", Table 3: 405B: 126 layers, model dim 16384, FFN dim
    # 53248, 128 heads, 8 KV heads, vocab 128000 (HF config.json: 128256), RoPE; 128k context (Llama 3.1).
    _llama("llama3-405b", "llama", 16384, 126, 128, 8, 53248, 128256, 131072, 405 * B,
           "Dubey et al. 2024, The Llama 3 Herd of Models, Table 3; HF meta-llama/Llama-3.1-405B config.json"),
    # DeepSeek-AI 2024 "DeepSeek-V3 Technical Report", Sec. 4.2 and HF deepseek-ai/DeepSeek-V3 config.json:
    # 61 layers, hidden 7168, 128 heads, MLA (q_lora_rank 1536, kv_lora_rank 512, per-head no-RoPE 128 +
    # RoPE 64 query/key dims, value 128), first 3 layers dense (FFN 18432), then 1 shared + 256 routed
    # experts (2048 each), 8 routed per token; vocab 129280; 671B total, 37B activated per token.
    # DeepSeek-R1 (DeepSeek-AI 2025) has the same architecture.
    ModelConfig(
        name="deepseek-v3", family="deepseek_v3", arch="decoder", hidden_size=7168, num_layers=61,
        num_heads=128, num_kv_heads=128, head_dim=192, intermediate_size=18432, ffn_type="swiglu",
        vocab_size=129280, max_positions=163840, norm_type="rmsnorm", position_embedding="rope",
        num_experts=256, top_k=8, expert_intermediate_size=2048, shared_expert_intermediate_size=2048,
        first_dense_layers=3, q_lora_rank=1536, kv_lora_rank=512, qk_rope_head_dim=64, v_head_dim=128,
        source="DeepSeek-AI 2024, DeepSeek-V3 Technical Report, Sec. 4.2; HF deepseek-ai/DeepSeek-V3 config.json",
        published_params=671 * B, published_active_params=37 * B,
    ),
    # Dosovitskiy et al. 2021 "An Image is Worth 16x16 Words", Table 1: ViT-Base 12 layers, hidden 768,
    # MLP 3072, 12 heads, 86M params; 224 x 224 input, 16 x 16 patches; ImageNet-1k head (1000 classes).
    ModelConfig(
        name="vit-b16", family="vit", arch="encoder", hidden_size=768, num_layers=12, num_heads=12,
        intermediate_size=3072, ffn_type="gelu", max_positions=197, image_size=224, patch_size=16,
        num_classes=1000, source="Dosovitskiy et al. 2021, ViT, Table 1", published_params=86 * M,
    ),
    # Touvron et al. 2021 "Training data-efficient image transformers", Table 1: DeiT-S embedding 384,
    # 6 heads, 12 layers, 22M params, 224 x 224 input, 16 x 16 patches; MLP 4 x 384; 1000 classes.
    ModelConfig(
        name="deit-s", family="deit", arch="encoder", hidden_size=384, num_layers=12, num_heads=6,
        intermediate_size=1536, ffn_type="gelu", max_positions=197, image_size=224, patch_size=16,
        num_classes=1000, source="Touvron et al. 2021, DeiT, Table 1", published_params=22 * M,
    ),
]

PRESETS: dict[str, ModelConfig] = {m.name: m for m in _LIST}
