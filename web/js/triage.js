// When the report cannot reach the server (offline), the answer must still be immediate:
// the same three levels, decided on the phone from the form's groups. The server's answer
// replaces this as soon as the report is sent.

const URGENT_PAIN_DEFAULT = 7;

export function localTriage(form, profile, pain, signs) {
  const groups = new Map(((form && form.signs) || []).map((s) => [s.code, s.group]));
  const clinic = (profile && profile.clinic) || {};
  const emergency = (form && form.emergency_number) || clinic.emergency_number || "999";
  const clinicPhone = (form && form.clinic_phone) || clinic.phone || "";
  const urgentPain = (form && form.urgent_pain_at_least) || URGENT_PAIN_DEFAULT;
  if (signs.some((code) => groups.get(code) === "emergency")) {
    return {
      level: "emergency",
      title: `Call ${emergency} now`,
      advice: `Call ${emergency} now. Do not drive yourself. Tell them you recently had injections to treat veins in your legs.`,
      call_number: emergency,
      call_label: `Call ${emergency} now`,
    };
  }
  if (signs.some((code) => groups.get(code) === "urgent") || pain >= urgentPain) {
    return {
      level: "urgent",
      title: "Contact the clinic now",
      advice: `Please phone the clinic now. If you cannot reach the clinic and feel worse, call ${emergency}.`,
      call_number: clinicPhone || emergency,
      call_label: clinicPhone ? "Call the clinic" : `Call ${emergency}`,
    };
  }
  return {
    level: "routine",
    title: "Thank you",
    advice: "Keep following your plan. If anything gets worse, call the clinic.",
    call_number: null,
    call_label: null,
  };
}
