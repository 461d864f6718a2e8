/** The reactions offered at once beside a message (the full picker, emoji-picker.tsx, loads on demand). */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢'];
