"""A word-level tokenizer built locally, so tiny and synthetic pipelines need no download.

Its token count for a prompt is fixed by construction (one token per word or punctuation
run, plus the chat template's markers), which keeps the caption length, and so the FLOPs,
equal to what `count-flops` assumes.
"""

from __future__ import annotations

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "[UNK]"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def words(text: str) -> list[str]:
    """The pre-tokenizer's split of `text` (lower-cased)."""
    from tokenizers.pre_tokenizers import Whitespace

    return [w for w, _ in Whitespace().pre_tokenize_str(text.lower())]


def build_tokenizer(prompts: list[str]):
    """A `PreTrainedTokenizerFast` whose vocabulary covers `prompts` (others map to [UNK])."""
    from tokenizers import Tokenizer, normalizers
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    for word in ["user", "assistant"] + [w for p in prompts for w in words(p)]:
        vocab.setdefault(word, len(vocab))
    core = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = Whitespace()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="<|endoftext|>",
        eos_token="<|im_end|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok


def caption_tokens(prompt: str) -> int:
    """Tokens the Z-Image chat template gives `prompt` under this tokenizer."""
    # <|im_start|> user ... <|im_end|> <|im_start|> assistant
    return len(words(prompt)) + 5
