// roadcam: a defect with a pending repair claim is answered by deciding the claim, never by
// setting the defect's status: "Verify repaired" / "Still present" post the inspector's decision
// (POST /repair-claims/{id}/decision, with a reason), and the defect follows the claim.
// map.js calls roadcamClaimDecision.show(defect, actionsElement, onDone) for repair_claimed defects.
"use strict";
window.roadcamClaimDecision = {
  async pending(defectId) {
    const r = await roadcamAuth.fetch(`/defects/${defectId}/repair-claims`);
    if (!r.ok) return null;
    return (await r.json()).claims.find((c) => c.status === "pending") || null;
  },

  // true when the defect has a pending claim and its decision form was drawn into `actions`
  async show(d, actions, onDone) {
    const claim = await this.pending(d.id);
    if (!claim) return false;
    const message = document.getElementById("action-message");
    const about = document.createElement("p");
    about.id = "claim-pending";
    const ref = claim.reference ? ` (${claim.reference})` : "";
    about.textContent = `repair claim #${claim.id} by ${claim.contractor}${ref}, ` +
      `${claim.claimed_at.slice(0, 10)}: pending`;
    const reason = document.createElement("input");
    reason.id = "claim-reason";
    reason.placeholder = "reason for the decision (required)";
    reason.maxLength = 2000;
    reason.style.cssText = "display:block;width:100%;box-sizing:border-box;margin:4px 0";
    actions.append(about, reason);
    for (const [decision, label] of [["verified", "Verify repaired"], ["rejected", "Still present (reject claim)"]]) {
      const b = document.createElement("button");
      b.textContent = label;
      b.dataset.decision = decision;
      b.addEventListener("click", () => this.decide(d.id, claim.id, decision, reason.value, message, onDone));
      actions.appendChild(b);
    }
    return true;
  },

  async decide(defectId, claimId, decision, reason, message, onDone) {
    if (!reason.trim()) { message.textContent = "Not changed: give a reason for the decision"; return; }
    const r = await roadcamAuth.fetch(`/repair-claims/${claimId}/decision`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: decision, reason: reason.trim() }),
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      message.textContent = `Not changed: ${typeof body.detail === "string" ? body.detail : r.status}`;
      return;
    }
    const now = decision === "verified" ? "verified repaired" : "still present";
    await onDone(defectId);
    message.textContent = `#${defectId} is now ${now} (claim #${claimId} ${decision})`;
  },
};
