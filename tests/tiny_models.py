"""Tiny transformers models built in-process, offline, for the HF summarizer tests.

Each builder trains a byte-level BPE tokenizer on a few dozen sentences with the
`tokenizers` library, creates a 2-layer model with random weights under a fixed torch seed,
and saves both with `save_pretrained`, so the folder loads back through the Auto classes
exactly like a downloaded checkpoint. The weights are initialised wider than usual so that
greedy decoding depends on the input (with the default 0.02 scale every story gets the same
output, which would hide ordering bugs).
"""

from __future__ import annotations

from pathlib import Path

SEED = 1234

CORPUS = [
    "The mayor said three people were hurt in the fire on Main Street.",
    "Police arrested a 34-year-old man in Boston on Tuesday.",
    "The company reported revenue of $4.2 billion, up 12% from a year earlier.",
    "Officials in Paris closed the museum after a water leak on Friday.",
    "The storm left 20,000 homes without power across northern Texas.",
    "Scientists found the new species of frog in the rain forest of Peru.",
    "The team won the final 3-1 after two late goals.",
    "Voters will decide on the new school budget in November.",
    "The president met leaders from Japan and Germany in Washington.",
    "A judge ordered the release of the documents by March 15.",
    "The airline cancelled 150 flights because of the strike.",
    "Doctors say the vaccine was 90 percent effective in the trial.",
    "The bridge will reopen next month after repairs costing $8 million.",
    "Firefighters rescued a dog from the river near the old mill.",
    "The museum will show paintings that were lost for 70 years.",
    "Prices rose 2.5% in May, the fastest rise since 2008.",
    "The senator said the bill would help families pay for child care.",
    "Rescue workers searched the building through the night.",
    "Students at the university protested against higher fees.",
    "The film earned $60 million in its first weekend in theaters.",
    "Highlights:\n- Police say the man was driving too fast.\n- Two people were hurt.",
    "Write 3 short highlight bullets for this news story.",
    "summarize: The council voted 7-2 to approve the plan.",
    "- The plan costs $1.5 million.\n- Work starts in June.",
]

T5_SPECIALS = ["<pad>", "</s>", "<unk>"]
BART_SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
CAUSAL_SPECIALS = ["<unk>", "<s>", "</s>"]

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _tokenizer(specials: list[str], *, prepend: str | None, append: str | None, **kwargs):
    """A byte-level BPE tokenizer trained on CORPUS, wrapped for transformers.

    `prepend`/`append` are the special tokens the post-processor adds around one sequence
    (T5 appends </s>, BART wraps in <s> ... </s>, Llama-style LMs prepend <s>).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=400, special_tokens=specials))
    template = " ".join(t for t in (prepend, "$A", append) if t)
    used = [t for t in (prepend, append) if t]
    tok.post_processor = processors.TemplateProcessing(
        single=template, special_tokens=[(t, tok.token_to_id(t)) for t in used]
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, **kwargs)


def _save(folder: Path, model, tokenizer) -> Path:
    """Save model + tokenizer, after zeroing the output weights of the special tokens
    other than eos, so random greedy decoding writes text rather than <pad>/<unk>/<s>."""
    import torch

    mute = [i for i in tokenizer.all_special_ids if i != tokenizer.eos_token_id]
    with torch.no_grad():
        model.get_output_embeddings().weight[mute] = 0.0
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_t5(folder: Path, *, model_max_length: int = 64) -> Path:
    """T5 with a small model_max_length, so long stories get truncated."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tok = _tokenizer(T5_SPECIALS, prepend=None, append="</s>", pad_token="<pad>",
                     eos_token="</s>", unk_token="<unk>", model_max_length=model_max_length)
    config = T5Config(
        vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2,
        num_heads=4, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.pad_token_id, initializer_factor=8.0,
    )
    torch.manual_seed(SEED)
    return _save(Path(folder), T5ForConditionalGeneration(config), tok)


def build_tiny_bart(folder: Path) -> Path:
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    tok = _tokenizer(BART_SPECIALS, prepend="<s>", append="</s>", bos_token="<s>",
                     pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=128)
    config = BartConfig(
        vocab_size=len(tok), d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
        decoder_ffn_dim=64, max_position_embeddings=128, pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id, forced_eos_token_id=None, init_std=0.3,
    )
    torch.manual_seed(SEED)
    return _save(Path(folder), BartForConditionalGeneration(config), tok)


def build_tiny_causal(folder: Path, *, chat_template: str | None = None) -> Path:
    """Llama-style decoder-only LM; its tokenizer has no pad token, as most base LMs."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = _tokenizer(CAUSAL_SPECIALS, prepend="<s>", append=None, bos_token="<s>",
                     eos_token="</s>", unk_token="<unk>", model_max_length=128)
    if chat_template:
        tok.chat_template = chat_template
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, initializer_range=0.3,
    )
    torch.manual_seed(SEED)
    return _save(Path(folder), LlamaForCausalLM(config), tok)


def build_tiny_chat_causal(folder: Path) -> Path:
    return build_tiny_causal(folder, chat_template=CHAT_TEMPLATE)


def build_tiny_encoder(folder: Path) -> Path:
    """2-layer BERT with a WordPiece vocabulary of CORPUS's words: a stand-in for the
    all-MiniLM-L6-v2 sentence encoder (same classes, same pooling code path)."""
    import re

    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    words = sorted({w for line in CORPUS for w in re.findall(r"\w+|[^\w\s]", line.lower())})
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    tok = BertTokenizerFast(vocab_file=str(vocab), model_max_length=64)
    config = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=64, max_position_embeddings=64)
    torch.manual_seed(SEED)
    BertModel(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def build_tiny_gguf(path: Path) -> Path:
    """A 1-layer Llama written as a GGUF file (float32 tensors, SentencePiece-style vocab),
    for the GGUF -> model folder conversion; needs the `gguf` package."""
    import gguf
    import numpy as np

    tokens = ["<unk>", "<s>", "</s>", *"abcdefghijklmnopqrstuvwxyz0123456789▁-:.,\n"]
    vocab, hidden, ffn = len(tokens), 16, 32
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(64)
    writer.add_embedding_length(hidden)
    writer.add_block_count(1)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(2)
    writer.add_head_count_kv(2)
    writer.add_rope_dimension_count(hidden // 2)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_vocab_size(vocab)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * 3 + [-float(i) for i in range(vocab - 3)])
    writer.add_token_types([2, 3, 3] + [1] * (vocab - 3))  # unknown, control x2, normal
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    rng = np.random.default_rng(SEED)
    shapes = {"token_embd": (vocab, hidden), "output_norm": (hidden,), "output": (vocab, hidden),
              "blk.0.attn_norm": (hidden,), "blk.0.ffn_norm": (hidden,),
              "blk.0.ffn_gate": (ffn, hidden), "blk.0.ffn_up": (ffn, hidden),
              "blk.0.ffn_down": (hidden, ffn)}
    shapes.update({f"blk.0.attn_{p}": (hidden, hidden) for p in ("q", "k", "v", "output")})
    for name, shape in shapes.items():
        writer.add_tensor(f"{name}.weight", rng.normal(0, 0.5, shape).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return Path(path)
