/** The web client's admin texts in English. */
export const admin = {
  previews: {
    title: "Link previews",
    intro: "The server fetches a preview (title, description, image) of the links in new messages; readers never contact the linked sites.",
    toggle: "Show previews of links",
    action: "change the setting",
  },
};
