"""Write a tiny T5 model folder (random weights) as a stand-in for your own checkpoint.

    python examples/tutorial/make_tiny_t5.py my-eval/models/tiny-t5

Its summaries are nonsense: it exists so the tutorial (docs/tutorial.md) can show a local
`hf-seq2seq` model offline, in seconds. Needs `pip install "torch==2.13.0" "summcheck[hf]"`.
"""

import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

TEXT = ["The council approved the budget on Monday.", "Police said two people were hurt.",
        "The company reported revenue of $4.2 billion.", "summarize: The storm hit Texas."]


def tokenizer() -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(TEXT, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<pad>", "</s>", "<unk>"]))
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", model_max_length=128)


def main(out: Path) -> None:
    tok = tokenizer()
    config = T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=2,
                      num_decoder_layers=2, num_heads=4, pad_token_id=tok.pad_token_id,
                      eos_token_id=tok.eos_token_id, decoder_start_token_id=tok.pad_token_id,
                      initializer_factor=8.0)
    torch.manual_seed(0)
    model = T5ForConditionalGeneration(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    print(f"model folder: {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
