/** What the vendor says became of one card (ret/1, docs/formats/return-file.md). */
export enum ReturnLineStatus {
  /** Personalised and mailed: the card becomes active. */
  Shipped = 'SHIPPED',
  /** Spoiled at the vendor (with a failure code): destroyed, and a new card is ordered. */
  Failed = 'FAILED',
  /** Mailed and returned by the post: the request is reopened for the fund. */
  Undeliverable = 'UNDELIVERABLE',
}
