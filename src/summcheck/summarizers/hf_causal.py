"""Decoder-only summarizers (Llama, Gemma, GPT-2, ...) through AutoModelForCausalLM.

The prompt is `spec.prompt_template` filled with {title} and {story}. With a chat
template (`chat_template: always`, or `auto` and the tokenizer has one) the prompt becomes
the user message (after an optional system message) rendered with the generation prompt;
otherwise the model simply continues the prompt text, and `system_prompt`, if any, is put
before it. When the story is too long, the story's end is cut (never the instruction) so
the prompt plus `max_new_tokens` fits the model's input limit.
"""

from __future__ import annotations

from typing import Any, Callable

from ..config import HFCausalSpec
from ..errors import SummcheckError
from ..text import is_bullet_line, is_lead_in, split_bullets
from ..types import Example
from .hf_common import HFSummarizer, input_limit

DEFAULT_MAX_NEW_TOKENS = 128  # when the spec sets neither max_new_tokens nor max_length
_BULLET_MARKERS = ("-", "*", "•")


class HFCausalSummarizer(HFSummarizer):
    kind = "hf-causal"
    auto_class = "AutoModelForCausalLM"
    spec: HFCausalSpec

    def __init__(self, spec: HFCausalSpec, *, max_bullets: int | None):
        try:
            spec.prompt_template.format(story="", title="")
        except (KeyError, IndexError, ValueError) as err:
            raise SummcheckError(
                f"prompt_template of {spec.label} is not a valid template ({err!r}): use "
                "{story} and {title} as placeholders and write other braces as {{ and }}."
            ) from None
        super().__init__(spec, max_bullets=max_bullets)

    def _settings(self) -> dict[str, Any]:
        s = self.spec
        return {"prompt_template": s.prompt_template, "chat_template": s.chat_template,
                "system_prompt": s.system_prompt}

    def _generation(self) -> dict[str, Any]:
        generation = dict(self.spec.generation)
        if "max_new_tokens" not in generation and "max_length" not in generation:
            generation["max_new_tokens"] = DEFAULT_MAX_NEW_TOKENS
        return generation

    def _setup_tokenizer(self, tokenizer: Any) -> None:
        tokenizer.padding_side = "left"  # generation continues right after each prompt
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token

    # -- prompts
    def _uses_chat(self) -> bool:
        mode = self.spec.chat_template
        return mode == "always" or (mode == "auto" and bool(self._tokenizer.chat_template))

    def _render(self, example: Example, story: str) -> str:
        """The full model input for `example` with `story` in place of its story."""
        user = self.spec.prompt_template.format(story=story, title=example.title)
        system = self.spec.system_prompt
        if not self._uses_chat():
            return f"{system}\n\n{user}" if system else user
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": user})
        try:
            return self._tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
        except Exception as err:  # noqa: BLE001 - e.g. no template, or no system role
            raise SummcheckError(
                f"cannot apply the chat template of {self.spec.model}: {err}. "
                "Set `chat_template: never` to prompt it as plain text."
            ) from err

    def _count(self, text: str) -> int:
        # A rendered chat prompt already holds its special tokens (e.g. <bos>).
        ids = self._tokenizer(text, add_special_tokens=not self._uses_chat(), verbose=False)
        return len(ids["input_ids"])

    def _prompt(self, example: Example) -> str:
        """The prompt the model sees for `example` (with the story cut to fit)."""
        self._loaded()
        return self._prepare(example, self._limit())[0]

    def _limit(self) -> int:
        return input_limit(self.spec, self._tokenizer, self._model)

    def _prepare(self, example: Example, limit: int) -> tuple[str, dict[str, Any]]:
        budget = limit - int(self._generation().get("max_new_tokens", 0))
        prompt = self._render(example, example.story)
        n_tokens = self._count(prompt)
        meta: dict[str, Any] = {"input_tokens": n_tokens, "truncated": n_tokens > budget}
        if n_tokens > budget:
            prompt, meta["truncated_tokens"] = self._fit(example, n_tokens, budget, limit)
        return prompt, meta

    def _fit(self, example: Example, n_tokens: int, budget: int, limit: int) -> tuple[str, int]:
        """Cut the end of the story until the prompt fits; (prompt, story tokens cut)."""
        fixed = self._count(self._render(example, ""))
        if fixed >= budget:
            raise SummcheckError(
                f"{self.spec.label}: the prompt without the story takes {fixed} tokens but "
                f"only {budget} fit ({limit} input tokens minus max_new_tokens). Shorten "
                "the prompt, lower max_new_tokens or raise max_input_tokens."
            )
        head, story_tokens = self._story_heads(example.story)
        keep = story_tokens - (n_tokens - budget)
        while n_tokens > budget:  # a cut text can tokenize differently in context: repeat
            keep = max(keep, 0)
            prompt = self._render(example, head(keep))
            n_tokens = self._count(prompt)
            keep -= max(n_tokens - budget, 0)
        return prompt, story_tokens - keep

    def _story_heads(self, story: str) -> tuple[Callable[[int], str], int]:
        """(function giving the start of `story` that spans its first n tokens, token count).

        Cuts the original text at token offsets when the tokenizer gives them, so the kept
        part is exactly the story's text; otherwise decodes the first n tokens.
        """
        tokenizer = self._tokenizer
        try:
            enc = tokenizer(
                story, add_special_tokens=False, return_offsets_mapping=True, verbose=False
            )
            ends = [end for _, end in enc["offset_mapping"]]
            return (lambda n: story[: ends[n - 1]] if n else ""), len(ends)
        except (NotImplementedError, ValueError, KeyError):
            ids = tokenizer(story, add_special_tokens=False, verbose=False)["input_ids"]
            return (lambda n: tokenizer.decode(ids[:n], skip_special_tokens=True)), len(ids)

    # -- batches and output
    def _encode(self, texts: list[str], limit: int) -> Any:
        return self._tokenizer(
            texts, padding=True, return_tensors="pt", add_special_tokens=not self._uses_chat()
        )

    def _generated(self, output: Any, inputs: Any) -> Any:
        return output[:, inputs["input_ids"].shape[1]:]

    def _bullets(self, text: str, model_input: str) -> tuple[str, ...]:
        if model_input.rstrip(" ").endswith(_BULLET_MARKERS) and not is_bullet_line(text):
            text = "- " + text.lstrip(" ")  # the prompt opened the first bullet
        return split_bullets(cut_after_bullets(text, model_input), self.max_bullets)


def cut_after_bullets(text: str, prompt: str = "") -> str:
    """Drop what a base model writes after its bullet list.

    After a blank line that follows at least one bullet, a paragraph that is not a bullet
    (the model going on with another story, say) ends the summary. So does, right after
    a bullet, a line that introduces a list (a new "Highlights:" or "**Highlights:**",
    `text.is_lead_in`, the rule split_bullets drops such lines by) or a line of the prompt
    written again: they were glued onto the last bullet as its continuation.
    """
    lines = text.splitlines()
    echoed = {ln.strip() for ln in prompt.splitlines() if len(ln.strip()) >= 12}
    seen_bullet = False
    for i, line in enumerate(lines):
        if is_bullet_line(line):
            seen_bullet = True
        elif seen_bullet and (is_lead_in(line) or line.strip() in echoed):
            return "\n".join(lines[:i])
        elif seen_bullet and not line.strip():
            following = next((ln for ln in lines[i + 1:] if ln.strip()), None)
            if following is not None and not is_bullet_line(following):
                return "\n".join(lines[:i])
    return text


def build(spec: HFCausalSpec, *, max_bullets: int | None) -> HFCausalSummarizer:
    return HFCausalSummarizer(spec, max_bullets=max_bullets)
