/** The web client's attachments texts in English. */
export const attachments = {
  uploading: 'Uploading',
  uploadingSize: 'uploading… {{size}}',
};
