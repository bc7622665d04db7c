"""Transfer sets: adversarial examples crafted once on a source model and classified by every
target model that the attack transfers to.

A transfer attack's examples depend on the source model, the attack, its seed and the test
set, never on the target. Crafting them in every target's evaluation job repeated the attack
once per target (DunDi's native-model attacks: four targets per LeNet and seed; MCT's BIM from
its separate standard model: every method and seed); rule ``craft_transfer`` crafts them once
and rule ``evaluate`` replays them. The saved set carries what it was crafted from; replaying
refuses a set whose attack, parameters or clean inputs differ from the evaluation's, and
checks every example against the attack's budget again.
"""

from __future__ import annotations

import hashlib

import torch

from advrepro.attacks import Attack, check_budget


def fingerprint(x: torch.Tensor) -> str:
    """SHA-256 of a tensor's float32 bytes: ties a transfer set to the clean inputs it attacked."""
    return hashlib.sha256(x.detach().float().cpu().contiguous().numpy().tobytes()).hexdigest()


def transfer_set(
    attack: Attack,
    attack_spec: dict,
    x_clean: torch.Tensor,
    x_adv: torch.Tensor,
    index: torch.Tensor,
    **about,
) -> dict:
    """What rule craft_transfer saves: the examples (rows ``index`` of the test set, in that
    order), the attack that made them and its budget, and a fingerprint of the clean inputs."""
    return {
        "x": x_adv.cpu(),
        "index": index.cpu(),
        "attack": attack_spec["id"],
        "attack_class": attack_spec["class"],
        "params": attack_spec["params"],
        "norm": attack.norm,
        "paper_attack": attack.paper_name,
        "eps": attack.eps,
        "adversarial": attack.adversarial,
        "clean_sha256": fingerprint(x_clean),
        **about,
    }


class ReplayedAttack(Attack):
    """Hands out a transfer set's examples, batch after batch, in test-set order: the order in
    which ``evaluation.evaluate`` asks for the attacked rows. Not registered: it is built from
    a saved set, never named in a config."""

    family = "transfer"

    def __init__(self, saved: dict, attack_spec: dict, x_clean: torch.Tensor, index: torch.Tensor):
        # the attack id may differ: attacks crafting the same examples share one set
        for key, expected in (
            ("attack_class", attack_spec["class"]),
            ("params", attack_spec["params"]),
        ):
            if saved[key] != expected:
                raise ValueError(
                    f"transfer set {saved['attack']} was crafted with {key} "
                    f"{saved[key]!r}, attack {attack_spec['id']} asks for "
                    f"{expected!r}: rerun craft_transfer"
                )
        if not torch.equal(saved["index"].cpu(), index.cpu()):
            raise ValueError(
                "transfer set attacked other test rows than this evaluation "
                "(test_size or only_classes changed): rerun craft_transfer"
            )
        if saved["clean_sha256"] != fingerprint(x_clean):
            raise ValueError(
                "transfer set was crafted on other clean inputs (the dataset "
                "changed): rerun craft_transfer"
            )
        super().__init__(model=None, eps=saved["eps"])
        self.norm = saved["norm"]
        self.adversarial = saved["adversarial"]
        self.registry_name = saved["attack_class"]
        self.reported_as = saved.get("paper_attack")
        self.examples = saved["x"].to(x_clean.device)
        # per example: did the source model still classify it correctly (transfer failure)
        self.source_correct = (
            saved["source_correct"].to(x_clean.device) if "source_correct" in saved else None
        )
        self.last_source_correct = None
        self.handed_out = 0

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        batch = slice(self.handed_out, self.handed_out + len(x))
        x_adv = self.examples[batch]
        if self.source_correct is not None:
            self.last_source_correct = self.source_correct[batch]
        self.handed_out += len(x)
        check_budget(x, x_adv, self.norm, self.eps)
        return x_adv
