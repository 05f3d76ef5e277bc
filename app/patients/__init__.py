"""The patient record: patients, their treatments, their visit bookings, protocol pinning."""
